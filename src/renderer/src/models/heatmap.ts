// Anomaly maps on screen: the 8-bit map from the service decoded back to scores, coloured on one ramp over the
// version's colour range (the same for every image, so two heat-maps compare; warm = at or above the pixel
// threshold). It comes back as a canvas at the map's size that the viewer scales onto the image; the predicted mask's
// outline is drawn as vector lines at image resolution (contours.ts).
import type { AnomalyMapImage } from '../../../shared/models';

const STOPS: readonly [number, number, number, number][] = [
  [0, 10, 10, 80],
  [0.35, 0, 170, 220],
  [0.65, 250, 230, 40],
  [1, 220, 20, 20],
];

function ramp(t: number): [number, number, number] {
  let i = 1;
  while (i < STOPS.length - 1 && t > STOPS[i]![0]) i++;
  const [t0, r0, g0, b0] = STOPS[i - 1]!;
  const [t1, r1, g1, b1] = STOPS[i]!;
  const f = Math.min(1, Math.max(0, (t - t0) / (t1 - t0)));
  return [r0 + f * (r1 - r0), g0 + f * (g1 - g0), b0 + f * (b1 - b0)];
}

/** The map's scores, one per pixel at the map size. */
export async function decodeMap(map: AnomalyMapImage): Promise<Float32Array> {
  // decoded from bytes, not fetched: the page's policy allows no fetch of data: URLs
  const bytes = Uint8Array.from(atob(map.pngBase64), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
  const canvas = document.createElement('canvas');
  canvas.width = map.width;
  canvas.height = map.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  const levels = ctx.getImageData(0, 0, map.width, map.height).data;
  const scores = new Float32Array(map.width * map.height);
  const span = map.max - map.min;
  for (let i = 0; i < scores.length; i++) scores[i] = map.min + (levels[i * 4]! / 255) * span;
  return scores;
}

export function colourCanvas(scores: Float32Array, width: number, height: number, range: readonly [number, number]): HTMLCanvasElement {
  const [lo, hi] = range;
  const span = hi - lo || 1;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(width, height);
  for (let i = 0; i < scores.length; i++) {
    const [r, g, b] = ramp(Math.min(1, Math.max(0, (scores[i]! - lo) / span)));
    image.data[i * 4] = r;
    image.data[i * 4 + 1] = g;
    image.data[i * 4 + 2] = b;
    image.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}
