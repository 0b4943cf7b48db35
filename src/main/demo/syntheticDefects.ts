// Synthetic surface defects drawn into a rendered surface, each with its exact pixel mask: scratches (thin bright
// or dark strokes), spots (dark blobs with soft edges) and dents (shaded elliptic depressions).
import type { Random } from '../util/random.js';

export const DEMO_DEFECTS = ['scratch', 'spot', 'dent'] as const;
export type DemoDefect = (typeof DEMO_DEFECTS)[number];

export interface Canvas {
  width: number;
  height: number;
  channels: number;
  pixels: Buffer;
}

/** Draws one defect into `canvas` and returns its mask (one byte a pixel, 255 = defect). */
export function drawDefect(canvas: Canvas, kind: DemoDefect, random: Random): Buffer {
  const { width, height } = canvas;
  const mask = Buffer.alloc(width * height);
  const shade = (x: number, y: number, amount: number) => {
    const i = (y * width + x) * canvas.channels;
    for (let c = 0; c < canvas.channels; c++) canvas.pixels[i + c] = Math.max(0, Math.min(255, canvas.pixels[i + c]! + amount));
  };
  const cx = width * (0.2 + 0.6 * random());
  const cy = height * (0.2 + 0.6 * random());
  if (kind === 'scratch') {
    const angle = random() * Math.PI;
    const length = Math.min(width, height) * (0.25 + 0.35 * random());
    const thickness = 1 + random() * 1.5;
    const amount = (random() < 0.5 ? -1 : 1) * (45 + 40 * random());
    const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const along = (x - cx) * dx + (y - cy) * dy;
        const across = Math.abs(-(x - cx) * dy + (y - cy) * dx);
        if (Math.abs(along) <= length / 2 && across <= thickness) {
          shade(x, y, amount * (1 - 0.4 * (across / thickness)));
          mask[y * width + x] = 255;
        }
      }
    }
  } else if (kind === 'spot') {
    const radius = Math.min(width, height) * (0.03 + 0.05 * random());
    const amount = -(50 + 50 * random());
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const r = Math.hypot(x - cx, y - cy) / radius;
        if (r <= 1.3) shade(x, y, amount * Math.max(0, Math.min(1, 1.3 - r)));
        if (r <= 1) mask[y * width + x] = 255;
      }
    }
  } else {
    const [rx, ry] = [Math.min(width, height) * (0.06 + 0.08 * random()), Math.min(width, height) * (0.04 + 0.05 * random())];
    const angle = random() * Math.PI;
    const [ca, sa] = [Math.cos(angle), Math.sin(angle)];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const u = ((x - cx) * ca + (y - cy) * sa) / rx;
        const v = (-(x - cx) * sa + (y - cy) * ca) / ry;
        const r2 = u * u + v * v;
        if (r2 > 1) continue;
        // light from the top left: the near wall of the dent darkens, the far wall brightens
        shade(x, y, 55 * (u * 0.7 + v * 0.7) * Math.sqrt(1 - r2) - 15);
        mask[y * width + x] = 255;
      }
    }
  }
  return mask;
}
