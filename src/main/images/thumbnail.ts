// Thumbnails for the grid: the longest side at most THUMBNAIL_SIZE, 8-bit sRGB JPEG. Making one decodes every pixel
// of the source, which is also how an import proves a file is intact.
import { mkdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { ImageFormat } from '../../shared/domain.js';
import { temporaryName } from '../fs/atomicFile.js';
import { ImageDecodeError, openImage } from './decode.js';

export const THUMBNAIL_SIZE = 256;

export async function writeThumbnail(source: string, format: ImageFormat, target: string): Promise<void> {
  const temp = path.join(path.dirname(target), temporaryName('.'));
  await mkdir(path.dirname(target), { recursive: true });
  try {
    const image = await openImage(source, format);
    await image
      .resize({ width: THUMBNAIL_SIZE, height: THUMBNAIL_SIZE, fit: 'inside', withoutEnlargement: true })
      // 16-bit and grey sources are mapped to 8-bit sRGB here, so every thumbnail is a plain JPEG.
      .toColourspace('srgb')
      .jpeg({ quality: 82, mozjpeg: false })
      .toFile(temp);
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    if (error instanceof ImageDecodeError) throw error;
    // a fault of the disk the thumbnail goes to is not a fault of the image: it must stop an import, not skip a file
    const fault = diskFault(error);
    if (fault) throw Object.assign(new Error(`${fault}: ${target}`), { code: fault, path: target });
    throw new ImageDecodeError(`corrupt or truncated ${format.toUpperCase()}: ${(error as Error).message}`);
  }
}

/** libvips reports a failed write as text; the system's own code when the text says which fault it was. */
function diskFault(error: unknown): string | null {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const message = String((error as Error)?.message ?? '');
  if (/no space left on device|disk quota exceeded/i.test(message)) return 'ENOSPC';
  if (/read-only file system/i.test(message)) return 'EROFS';
  if (/permission denied/i.test(message)) return 'EACCES';
  return null;
}
