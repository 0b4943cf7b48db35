// Image file → backbone input: decoded by sharp (8 or 16 bit, grey, RGB or RGBA) to 8-bit pixels at full size,
// alpha dropped, then resized, stretched to the model size (no crop, no padding: a project's images share one
// framing, and maps map back to the whole image), grey replicated and ImageNet-normalized by the ONNX nodes of
// ml/pipeline/imageInput.ts: the very nodes the exported model starts with, so the line sees what the workbench saw.
import sharp from 'sharp';
import { openImage, probeImage } from '../../images/decode.js';
import { preprocessPixels } from '../pipeline/imageInput.js';
import type { ImageSize } from '../ssn/types.js';

export class ImageInputError extends Error {
  override readonly name = 'ImageInputError';
}

/** Writes the normalized [3, H, W] planes of `file` into `into` at `offset` (or a new array). */
export async function loadNormalizedImage(file: string, size: ImageSize, into?: Float32Array, offset = 0): Promise<Float32Array> {
  let decoded: { data: Buffer; height: number; width: number; channels: number };
  try {
    const info = await probeImage(file);
    let image = await openImage(file, info.format);
    if (info.channels === 2 || info.channels === 4) {
      // drop alpha before resizing: libvips resizes premultiplied, and unpremultiplying a low alpha shifts colours
      const { data: flat, info: raw } = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const pixels = info.bitDepth === 16 ? new Uint16Array(flat.buffer, flat.byteOffset, flat.byteLength / 2) : flat;
      image = sharp(pixels, { raw: { width: raw.width, height: raw.height, channels: raw.channels as 1 | 3 } });
      if (raw.channels === 1) image = image.toColourspace(info.bitDepth === 16 ? 'grey16' : 'b-w');
    }
    // 16-bit inputs: libvips' srgb conversion scales them to 8 bits; grey becomes three equal channels
    const out = await image.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (out.info.channels !== 3) throw new Error(`decoded to ${out.info.width}×${out.info.height}×${out.info.channels}`);
    decoded = { data: out.data, height: out.info.height, width: out.info.width, channels: out.info.channels };
  } catch (error) {
    throw new ImageInputError(`cannot read ${file} as an image for the model: ${(error as Error).message}`);
  }
  const planes = await preprocessPixels(decoded.data, decoded.height, decoded.width, decoded.channels, size);
  if (!into) return planes;
  into.set(planes, offset);
  return into;
}
