// Indexed masks: one byte a pixel holding the defect class id (0 = no defect), stored as an 8-bit grey PNG at the
// image's full resolution (lossless). The binary mask training reads is their union (any class → 255).
import sharp from 'sharp';
import { encodeBinaryMask, type BinaryMask } from './mask.js';

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

export async function encodeClassMask(mask: ClassMaskPixels): Promise<EncodedClassMask> {
  const { width, height, pixels } = mask;
  if (pixels.length !== width * height) throw new Error(`indexed mask holds ${pixels.length} bytes, expected ${width * height}`);
  const png = await sharp(pixels, { raw: { width, height, channels: 1 } }).png({ compressionLevel: 6 }).toBuffer();
  return { width, height, areas: classAreas(pixels), png };
}

/** The union of all classes as the stored binary mask (0/255). */
export function unionMask(mask: ClassMaskPixels): Promise<BinaryMask> {
  const binary = new Uint8Array(mask.pixels.length);
  for (let i = 0; i < binary.length; i++) binary[i] = mask.pixels[i] ? 255 : 0;
  return encodeBinaryMask(binary, mask.width, mask.height);
}

/** Reads a stored indexed or binary mask PNG as one byte a pixel. */
export async function decodeMaskFile(file: string | Buffer): Promise<ClassMaskPixels> {
  const { data, info } = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, pixels: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
