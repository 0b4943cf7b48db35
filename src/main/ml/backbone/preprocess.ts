// Image file → backbone input: decoded by sharp (8 or 16 bit, grey, RGB or RGBA), stretched to the model size
// (no crop, no padding: a project's images share one framing, and maps map back to the whole image), grey
// replicated to three channels, alpha dropped, then ImageNet-normalized into planar float32 RGB.
import sharp from 'sharp';
import { openImage, probeImage } from '../../images/decode.js';
import type { ImageSize } from '../ssn/types.js';

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

export class ImageInputError extends Error {
  override readonly name = 'ImageInputError';
}

/** Writes the normalized [3, H, W] planes of `file` into `into` at `offset` (or a new array). */
export async function loadNormalizedImage(file: string, size: ImageSize, into?: Float32Array, offset = 0): Promise<Float32Array> {
  const { height, width } = size;
  let data: Buffer;
  let channels: number;
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
    const out = await image.resize(width, height, { fit: 'fill', kernel: 'cubic' }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    data = out.data;
    channels = out.info.channels;
    if (out.info.width !== width || out.info.height !== height || channels !== 3) throw new Error(`decoded to ${out.info.width}×${out.info.height}×${channels}`);
  } catch (error) {
    throw new ImageInputError(`cannot read ${file} as an image for the model: ${(error as Error).message}`);
  }
  const plane = height * width;
  const target = into ?? new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const scale = 1 / (255 * STD[c]!);
    const shift = MEAN[c]! / STD[c]!;
    const base = offset + c * plane;
    for (let i = 0; i < plane; i++) target[base + i] = data[i * 3 + c]! * scale - shift;
  }
  return target;
}
