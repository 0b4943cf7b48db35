// Ground-truth regions: connected components of a defect mask with 8-connectivity (diagonal neighbours join), the
// convention of the MVTec AD evaluation (scipy.ndimage.label with a 3×3 structure) that AUPRO is defined with.
import { InputError } from '../../shared/errors.js';

export interface Components {
  /** Per pixel: 0 for background, 1..count for the region it belongs to (row-major, width × height). */
  labels: Int32Array;
  count: number;
  /** areas[r − 1] = pixels of region r. */
  areas: Int32Array;
}

export function checkImageSize(what: string, length: number, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new InputError('metrics-bad-size', `image size ${width}×${height} is not a positive whole size`);
  }
  if (length !== width * height) {
    throw new InputError(
      'metrics-size-mismatch',
      `the ${what} has ${length} values but the image is ${width}×${height} = ${width * height} pixels`,
    );
  }
}

/** Regions of the pixels where mask > 0 (any non-zero value, so 0/1, 0/255 and indexed masks all work). */
export function connectedComponents(mask: ArrayLike<number>, width: number, height: number): Components {
  checkImageSize('mask', mask.length, width, height);
  const labels = new Int32Array(width * height);
  const stack = new Int32Array(width * height);
  const areas: number[] = [];
  let count = 0;
  for (let start = 0; start < labels.length; start++) {
    if (!(mask[start]! > 0) || labels[start] !== 0) continue;
    const label = ++count;
    let area = 0;
    let top = 0;
    stack[top++] = start;
    labels[start] = label;
    while (top > 0) {
      const p = stack[--top]!;
      area++;
      const x = p % width;
      const y = (p - x) / width;
      const y0 = y > 0 ? y - 1 : 0;
      const y1 = y < height - 1 ? y + 1 : y;
      const x0 = x > 0 ? x - 1 : 0;
      const x1 = x < width - 1 ? x + 1 : x;
      for (let ny = y0; ny <= y1; ny++) {
        for (let nx = x0, q = ny * width + x0; nx <= x1; nx++, q++) {
          if (labels[q] === 0 && mask[q]! > 0) {
            labels[q] = label;
            stack[top++] = q;
          }
        }
      }
    }
    areas.push(area);
  }
  return { labels, count, areas: Int32Array.from(areas) };
}
