// The pixels the renderer shows: thumbnails, masks and originals. Originals a browser cannot draw (TIFF, BMP,
// 16-bit) are converted to 8-bit PNG on the way out; the stored file is never changed. Every file is checked before
// it is served (present, a file, its size, its hash once per process): damage is reported, never shown as if
// intact, and a missing thumbnail is made again from its intact image.
import { stat } from 'node:fs/promises';
import type { FileKind } from '../../shared/api.js';
import { InputError, ProjectError, WorkbenchError } from '../../shared/errors.js';
import { openImage } from '../images/decode.js';
import { writeThumbnail } from '../images/thumbnail.js';
import { BLOB_PROBLEM_TEXT, type BlobProblem } from '../store/blobStore.js';
import { FILE_EXTENSION, type Project } from '../store/project.js';

export type FileResponse = { kind: 'file'; path: string; contentType: string } | { kind: 'bytes'; bytes: Buffer; contentType: string };

/** The HTTP status for an error from fileFor: 404 for what is not there, 409 for a file that is there but damaged. */
export function fileErrorStatus(error: unknown): number {
  const code = error instanceof WorkbenchError ? error.code : '';
  if (code === 'file-damaged') return 409;
  if (code === 'file-missing' || code === 'image-not-found' || code === 'no-mask') return 404;
  if (code === 'no-project') return 409;
  return 500;
}

function damage(project: Project, what: string, file: string, problem: BlobProblem): ProjectError {
  const code = problem === 'missing' ? 'file-missing' : 'file-damaged';
  return new ProjectError(
    code,
    `the ${what} file ${file} ${BLOB_PROBLEM_TEXT[problem]}: restore the project from a backup copy, or run "dwb check --project ${project.layout.root} --repair", which restores images whose original file is still where it was imported from`,
  );
}

export async function fileFor(project: Project, kind: FileKind, id: number): Promise<FileResponse> {
  const image = project.images.get(id);
  if (!image) throw new InputError('image-not-found', `there is no image with id ${id} in this project`);
  const file = project.imagePath(image);
  // the grid asks for thousands of thumbnails: the original is hashed only when it is shown or a thumbnail is remade
  const verifyImage = () => project.imageFiles.verify(image.sha256, FILE_EXTENSION[image.format], image.fileSize);
  if (kind === 'thumbnail') {
    const thumbnail = project.thumbnailPath(image);
    const info = await stat(thumbnail).catch(() => null);
    if (info?.isFile() && info.size > 0) return { kind: 'file', path: thumbnail, contentType: 'image/jpeg' };
    if (info && !info.isFile()) throw damage(project, `thumbnail of image ${id}`, thumbnail, 'not-a-file');
    const imageProblem = await verifyImage();
    if (imageProblem) throw damage(project, `image ${id}`, file, imageProblem);
    await writeThumbnail(file, image.format, thumbnail); // lost thumbnails are derived data: make it again
    return { kind: 'file', path: thumbnail, contentType: 'image/jpeg' };
  }
  if (kind === 'mask') {
    if (!image.maskSha256) throw new InputError('no-mask', `image ${id} has no mask`);
    const mask = project.maskPath(image)!;
    const problem = await project.maskFiles.verify(image.maskSha256, 'png');
    if (problem) throw damage(project, `mask of image ${id}`, mask, problem);
    return { kind: 'file', path: mask, contentType: 'image/png' };
  }
  const imageProblem = await verifyImage();
  if (imageProblem) throw damage(project, `image ${id}`, file, imageProblem);
  if ((image.format === 'png' || image.format === 'jpeg') && image.bitDepth === 8) {
    return { kind: 'file', path: file, contentType: image.format === 'png' ? 'image/png' : 'image/jpeg' };
  }
  const converted = await (await openImage(file, image.format)).toColourspace('srgb').png({ compressionLevel: 1 }).toBuffer();
  return { kind: 'bytes', bytes: converted, contentType: 'image/png' };
}
