// Pixel masks. Any mask image (grey, RGB, anti-aliased) becomes a binary mask: a pixel is a defect when its grey
// value is ≥ 128. Stored masks are 8-bit grey PNGs holding only 0 and 255 (lossless, and tiny once compressed).
import sharp from 'sharp';
import { openImage, probeImage } from './decode.js';

export const MASK_THRESHOLD = 128;

export interface BinaryMask {
  width: number;
  height: number;
  /** Number of defect pixels. */
  area: number;
  png: Buffer;
}

/** A mask that cannot be used: wrong size, unreadable, corrupt. */
export class MaskError extends Error {
  override readonly name = 'MaskError';
}

export async function readBinaryMask(file: string, expected: { width: number; height: number }): Promise<BinaryMask> {
  const info = await probeImage(file).catch((error: Error) => {
    throw new MaskError(error.message);
  });
  if (info.width !== expected.width || info.height !== expected.height) {
    throw new MaskError(
      `mask is ${info.width}×${info.height} but its image is ${expected.width}×${expected.height}; masks must have exactly the image's size`,
    );
  }
  let pixels: Buffer;
  try {
    const image = await openImage(file, info.format);
    pixels = await image.toColourspace('b-w').extractChannel(0).threshold(MASK_THRESHOLD, { grayscale: false }).raw().toBuffer();
  } catch (error) {
    throw new MaskError(`corrupt or truncated mask: ${(error as Error).message}`);
  }
  return encodeBinaryMask(pixels, info.width, info.height);
}

/** Encodes a width×height buffer of 0/255 (one byte a pixel) as the stored PNG. */
export async function encodeBinaryMask(pixels: Uint8Array, width: number, height: number, compressionLevel = 6): Promise<BinaryMask> {
  if (pixels.length !== width * height) throw new Error(`mask buffer holds ${pixels.length} bytes, expected ${width * height}`);
  let area = 0;
  for (let i = 0; i < pixels.length; i++) if (pixels[i] !== 0) area++;
  const png = await sharp(pixels, { raw: { width, height, channels: 1 } }).png({ compressionLevel }).toBuffer();
  return { width, height, area, png };
}

/** Decodes a stored mask into one byte a pixel (0 or 255). */
export async function decodeStoredMask(file: string): Promise<{ width: number; height: number; pixels: Buffer }> {
  const { data, info } = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, pixels: data };
}
