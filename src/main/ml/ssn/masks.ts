// Real defect masks at feature resolution: the mask is stretched to the model size like its image, then each
// feature cell is a defect (1) when at least half of its pixels are (area-weighted downsampling, threshold 0.5),
// normal (0) when none are, and uncertain (2) in between: a small defect that covers part of a cell must neither be
// taught as normal there nor be noised over, so such cells are left out of the segmentation loss.
import { openImage, probeImage } from '../../images/decode.js';
import { MASK_THRESHOLD } from '../../images/mask.js';
import type { ImageSize } from './types.js';

/** A feature cell partly covered by a defect. */
export const PARTIAL = 2;

export async function featureMask(file: string, size: ImageSize, height: number, width: number): Promise<Uint8Array> {
  const info = await probeImage(file);
  const image = await openImage(file, info.format);
  const pixels = await image.resize(size.width, size.height, { fit: 'fill', kernel: 'nearest' }).toColourspace('b-w').extractChannel(0).raw().toBuffer();
  const sy = size.height / height;
  const sx = size.width / width;
  const mask = new Uint8Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let on = 0;
      for (let yy = y * sy; yy < (y + 1) * sy; yy++) for (let xx = x * sx; xx < (x + 1) * sx; xx++) if (pixels[yy * size.width + xx]! >= MASK_THRESHOLD) on++;
      mask[y * width + x] = on * 2 >= sy * sx ? 1 : on > 0 ? PARTIAL : 0;
    }
  }
  return mask;
}

/**
 * The journal version's mask dilation at feature resolution: every cell the defect touches (defect or partial) and
 * every cell within `cells` of one (Chebyshev distance) becomes a defect cell. A defect smaller than a cell, which
 * the plain mask only leaves out of the loss, so becomes a taught defect with a margin around it.
 */
export function dilateMask(mask: Uint8Array, height: number, width: number, cells: number): Uint8Array {
  if (cells <= 0) return mask;
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      for (let yy = Math.max(0, y - cells); yy <= Math.min(height - 1, y + cells); yy++) {
        for (let xx = Math.max(0, x - cells); xx <= Math.min(width - 1, x + cells); xx++) out[yy * width + xx] = 1;
      }
    }
  }
  return out;
}

/**
 * The journal version's distance weights of defect cells: in each 8-connected defect region, a cell's Euclidean
 * distance to the nearest cell outside the region, divided by the region's largest, to the power `power` — the
 * defect's core counts fully, its uncertain rim little. Cells outside defects weigh 1 (the caller uses the weights of
 * defect cells only).
 */
export function distanceWeights(mask: Uint8Array, height: number, width: number, power = 2): Float32Array {
  const weights = new Float32Array(mask.length).fill(1);
  const region = new Int32Array(mask.length).fill(-1);
  const outside: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 1) outside.push(i);
  let regions = 0;
  for (let start = 0; start < mask.length; start++) {
    if (mask[start] !== 1 || region[start] !== -1) continue;
    const cells = [start];
    region[start] = regions;
    for (let k = 0; k < cells.length; k++) {
      const y = Math.floor(cells[k]! / width);
      const x = cells[k]! % width;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
          const j = yy * width + xx;
          if (mask[j] === 1 && region[j] === -1) {
            region[j] = regions;
            cells.push(j);
          }
        }
      }
    }
    regions++;
    // distances to the nearest cell outside any defect (a region filling the whole map keeps weight 1)
    const distances = cells.map((i) => {
      const y = Math.floor(i / width);
      const x = i % width;
      let best = Infinity;
      for (const j of outside) best = Math.min(best, (Math.floor(j / width) - y) ** 2 + ((j % width) - x) ** 2);
      return Math.sqrt(best);
    });
    const largest = Math.max(...distances);
    if (!Number.isFinite(largest)) continue;
    cells.forEach((i, k) => (weights[i] = (distances[k]! / largest) ** power));
  }
  return weights;
}
