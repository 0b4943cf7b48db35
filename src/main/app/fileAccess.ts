// The pixels the renderer shows: thumbnails, masks and originals. Originals a browser cannot draw (TIFF, BMP,
// 16-bit) are converted to 8-bit PNG on the way out; the stored file is never changed.
import { FILE_KINDS, type FileKind } from '../../shared/api.js';
import { InputError } from '../../shared/errors.js';
import { openImage } from '../images/decode.js';
import type { Project } from '../store/project.js';

export type FileResponse = { kind: 'file'; path: string; contentType: string } | { kind: 'bytes'; bytes: Buffer; contentType: string };

export async function fileFor(project: Project, kind: FileKind, id: number): Promise<FileResponse> {
  const image = project.images.get(id);
  if (!image) throw new InputError('image-not-found', `there is no image with id ${id} in this project`);
  if (kind === 'thumbnail') return { kind: 'file', path: project.thumbnailPath(image), contentType: 'image/jpeg' };
  if (kind === 'mask') {
    const mask = project.maskPath(image);
    if (!mask) throw new InputError('no-mask', `image ${id} has no mask`);
    return { kind: 'file', path: mask, contentType: 'image/png' };
  }
  const file = project.imagePath(image);
  if ((image.format === 'png' || image.format === 'jpeg') && image.bitDepth === 8) {
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
