// The pixels the renderer shows: thumbnails, masks and originals. Originals a browser cannot draw (TIFF, BMP,
// 16-bit), and those with an EXIF orientation to apply, are converted to 8-bit PNG on the way out, turned as the
// workbench turns them (images/decode.ts), so the studio never depends on whether a browser honours the tag; the
// stored file is never changed. Every file is checked before it is served (present, a file, its size, its hash once
// per process): damage is reported, never shown as if intact, and a missing thumbnail is made again from its intact
// image.
import { stat } from 'node:fs/promises';
import { FILE_KINDS, type FileKind } from '../../shared/api.js';
import { InputError, ProjectError, WorkbenchError } from '../../shared/errors.js';
import { openImage, probeImage } from '../images/decode.js';
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
  if ((image.format === 'png' || image.format === 'jpeg') && image.bitDepth === 8 && (await probeImage(file)).orientation === 1) {
    return { kind: 'file', path: file, contentType: image.format === 'png' ? 'image/png' : 'image/jpeg' };
  }
  const converted = await (await openImage(file, image.format)).toColourspace('srgb').png({ compressionLevel: 1 }).toBuffer();
  return { kind: 'bytes', bytes: converted, contentType: 'image/png' };
}

const SHA256 = /^[0-9a-f]{64}$/;

/** The kind and hash of a file path such as "/files/thumbnail/<sha256>", or null when it is not one. */
export function parseFilePath(pathname: string): { kind: FileKind; sha256: string } | null {
  const match = /^\/files\/([a-z]+)\/([^/]+)$/.exec(pathname);
  if (!match || !(FILE_KINDS as readonly string[]).includes(match[1]!) || !SHA256.test(match[2]!)) return null;
  return { kind: match[1] as FileKind, sha256: match[2]! };
}

/**
 * A file addressed by content, as the renderer asks for it: the SHA-256 of an image (thumbnail, image) or of a mask.
 * The same URL always means the same bytes, so it may be cached for good, and an answer cached for one project can
 * never be shown in another: a hash the open project does not hold is not found.
 */
export async function fileForHash(project: Project, kind: FileKind, sha256: string): Promise<FileResponse> {
  if (!SHA256.test(sha256)) throw new InputError('bad-file-address', `${JSON.stringify(sha256)} is not a content hash`);
  const id =
    kind === 'mask'
      ? (project.db.prepare('SELECT id FROM images WHERE mask_sha256 = ? LIMIT 1').pluck().get(sha256) as number | undefined)
      : project.images.idBySha(sha256);
  if (id === undefined) throw new InputError('image-not-found', `this project has no ${kind === 'mask' ? 'mask' : 'image'} ${sha256}`);
  return fileFor(project, kind, id);
}
