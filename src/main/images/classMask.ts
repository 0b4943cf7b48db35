// Indexed masks: one byte a pixel holding the defect class id (0 = no defect), stored as an 8-bit grey PNG at the
// image's full resolution (lossless). The binary mask training reads is their union (any class → 255).
// Both are written after every stroke, so they use zlib level 3: as small as level 6 for masks (long runs), and
// about 2.5× faster on a 4096² mask.
import sharp from 'sharp';
import type { BinaryMask } from './mask.js';

const STROKE_COMPRESSION = 3;

export interface ClassMaskPixels {
  width: number;
  height: number;
  /** Class id per pixel, row-major. */
  pixels: Uint8Array;
}

export interface EncodedClassMask {
  width: number;
  height: number;
  /** Pixels per class id (classes with none are left out). */
  areas: Record<number, number>;
  png: Buffer;
}

export function classAreas(pixels: Uint8Array): Record<number, number> {
  const counts = new Uint32Array(256);
  for (let i = 0; i < pixels.length; i++) counts[pixels[i]!]!++;
  const areas: Record<number, number> = {};
  for (let id = 1; id < 256; id++) if (counts[id]) areas[id] = counts[id]!;
  return areas;
}

/** Encodes an indexed mask; `areas` may be given when the caller kept them up to date (a stroke's patch). */
export async function encodeClassMask(mask: ClassMaskPixels, areas?: Record<number, number>): Promise<EncodedClassMask> {
  const { width, height, pixels } = mask;
  if (pixels.length !== width * height) throw new Error(`indexed mask holds ${pixels.length} bytes, expected ${width * height}`);
  const png = await sharp(pixels, { raw: { width, height, channels: 1 } }).png({ compressionLevel: STROKE_COMPRESSION }).toBuffer();
  return { width, height, areas: areas ?? classAreas(pixels), png };
}

/** The union of all classes as the stored binary mask (0/255), thresholded by libvips off the JavaScript thread. */
export async function unionMask(mask: ClassMaskPixels, area: number): Promise<BinaryMask> {
  const png = await sharp(mask.pixels, { raw: { width: mask.width, height: mask.height, channels: 1 } })
    .threshold(1, { grayscale: true })
    .png({ compressionLevel: STROKE_COMPRESSION })
    .toBuffer();
  return { width: mask.width, height: mask.height, area, png };
}

/** Pixels per class after replacing `before` by `after` (the same rectangle) in a mask with `areas`. */
export function patchAreas(areas: Record<number, number>, before: Uint8Array, after: Uint8Array): Record<number, number> {
  const next: Record<number, number> = { ...areas };
  const add = (values: Uint8Array, sign: 1 | -1) => {
    for (const [id, n] of Object.entries(classAreas(values))) next[Number(id)] = (next[Number(id)] ?? 0) + sign * n;
  };
  add(before, -1);
  add(after, 1);
  for (const id of Object.keys(next)) if (!next[Number(id)]) delete next[Number(id)];
  return next;
}

/** Reads a stored indexed or binary mask PNG as one byte a pixel. */
export async function decodeMaskFile(file: string | Buffer): Promise<ClassMaskPixels> {
  const { data, info } = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, pixels: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
