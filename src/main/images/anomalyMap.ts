// Anomaly maps as files: the compact form kept for the UI (8-bit grey PNG at the model size, with the value range its
// levels span), and the heat-map a person looks at (the map resized to the image, coloured, blended over it).
import sharp from 'sharp';
import { openImage, probeImage } from './decode.js';

export interface EncodedMap {
  png: Buffer;
  min: number;
  max: number;
}

/** Level v of the PNG stands for min + v/255·(max − min); a flat map is stored as all zeros. */
export async function encodeMap(map: Float32Array, width: number, height: number): Promise<EncodedMap> {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < map.length; i++) {
    const v = map[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new Error('the anomaly map holds no finite values');
  const span = max - min;
  const levels = Buffer.alloc(map.length);
  if (span > 0) for (let i = 0; i < map.length; i++) levels[i] = Math.round(((map[i]! - min) / span) * 255);
  const png = await sharp(levels, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 9 }).toBuffer();
  return { png, min, max };
}

/** Colour of a value in [0, 1] on a dark-blue → cyan → yellow → red ramp (reads well over grey and colour parts). */
function ramp(t: number): [number, number, number] {
  const stops: [number, number, number, number][] = [
    [0, 10, 10, 80],
    [0.35, 0, 170, 220],
    [0.65, 250, 230, 40],
    [1, 220, 20, 20],
  ];
  let i = 1;
  while (i < stops.length - 1 && t > stops[i]![0]) i++;
  const [t0, r0, g0, b0] = stops[i - 1]!;
  const [t1, r1, g1, b1] = stops[i]!;
  const f = Math.min(1, Math.max(0, (t - t0) / (t1 - t0)));
  return [r0 + f * (r1 - r0), g0 + f * (g1 - g0), b0 + f * (b1 - b0)];
}

/**
 * Writes a heat-map PNG at the image's own size: the map (values as probabilities in [0, 1], so heat-maps of
 * different images compare) resized bilinearly, coloured, and blended half over the image.
 */
export async function writeHeatmap(imageFile: string, map: Float32Array, width: number, height: number, out: string): Promise<void> {
  const info = await probeImage(imageFile);
  // sRGB conversion maps 16-bit and grey sources to 8-bit colour, as thumbnails do
  const base = await (await openImage(imageFile, info.format)).removeAlpha().toColourspace('srgb').raw().toBuffer();
  const levels = Buffer.alloc(map.length);
  for (let i = 0; i < map.length; i++) levels[i] = Math.round(Math.min(1, Math.max(0, map[i]!)) * 255);
  const resized = await sharp(levels, { raw: { width, height, channels: 1 } })
    .resize(info.width, info.height, { fit: 'fill', kernel: 'linear' })
    .extractChannel(0)
    .raw()
    .toBuffer();
  const rgb = Buffer.alloc(info.width * info.height * 3);
  for (let p = 0; p < resized.length; p++) {
    const colour = ramp(resized[p]! / 255);
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.round(0.5 * base[p * 3 + c]! + 0.5 * colour[c]!);
  }
  await sharp(rgb, { raw: { width: info.width, height: info.height, channels: 3 } }).png().toFile(out);
}

/** A stored binary mask resized to the model size (nearest neighbour, as evaluation protocols do), one byte a pixel. */
export async function maskAtSize(maskFile: string, width: number, height: number): Promise<Uint8Array> {
  const data = await sharp(maskFile).extractChannel(0).resize(width, height, { fit: 'fill', kernel: 'nearest' }).raw().toBuffer();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
