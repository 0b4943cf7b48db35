// The pixels the renderer shows: thumbnails, masks and originals, addressed by content. A URL names the SHA-256 of
// an image (thumbnail, image) or of a mask, so the same URL always means the same bytes: it may be cached for good,
// and an answer cached for one project can never be shown in another. A hash the open project does not hold is
// not found. Originals a browser cannot draw (TIFF, BMP, 16-bit) are converted to 8-bit PNG on the way out; the
// stored file is never changed.
import { FILE_KINDS, type FileKind } from '../../shared/api.js';
import { InputError } from '../../shared/errors.js';
import { openImage } from '../images/decode.js';
import type { Project } from '../store/project.js';

export type FileResponse = { kind: 'file'; path: string; contentType: string } | { kind: 'bytes'; bytes: Buffer; contentType: string };

const SHA256 = /^[0-9a-f]{64}$/;

/** The kind and hash of a file path such as "/files/thumbnail/<sha256>", or null when it is not one. */
export function parseFilePath(pathname: string): { kind: FileKind; sha256: string } | null {
  const match = /^\/files\/([a-z]+)\/([^/]+)$/.exec(pathname);
  if (!match || !(FILE_KINDS as readonly string[]).includes(match[1]!) || !SHA256.test(match[2]!)) return null;
  return { kind: match[1] as FileKind, sha256: match[2]! };
}

export async function fileFor(project: Project, kind: FileKind, sha256: string): Promise<FileResponse> {
  if (!SHA256.test(sha256)) throw new InputError('bad-file-address', `${JSON.stringify(sha256)} is not a content hash`);
  if (kind === 'mask') {
    if (!project.images.mask(sha256)) throw new InputError('file-not-found', `this project has no mask ${sha256}`);
    return { kind: 'file', path: project.maskPath({ maskSha256: sha256 })!, contentType: 'image/png' };
  }
  const id = project.images.idBySha(sha256);
  const image = id === undefined ? undefined : project.images.get(id);
  if (!image) throw new InputError('file-not-found', `this project has no image ${sha256}`);
  if (kind === 'thumbnail') return { kind: 'file', path: project.thumbnailPath(image), contentType: 'image/jpeg' };
  const file = project.imagePath(image);
  if ((image.format === 'png' || image.format === 'jpeg') && image.bitDepth === 8) {
    return { kind: 'file', path: file, contentType: image.format === 'png' ? 'image/png' : 'image/jpeg' };
  }
  const converted = await (await openImage(file, image.format)).toColourspace('srgb').png({ compressionLevel: 1 }).toBuffer();
  return { kind: 'bytes', bytes: converted, contentType: 'image/png' };
}
