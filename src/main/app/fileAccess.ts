// The pixels the renderer shows: thumbnails, masks and originals. Originals a browser cannot draw (TIFF, BMP,
// 16-bit) are converted to 8-bit PNG on the way out; the stored file is never changed.
import type { FileKind } from '../../shared/api.js';
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
