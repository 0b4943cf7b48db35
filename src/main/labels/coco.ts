import { fillEdges } from '../../shared/raster.js';

// COCO segmentation codecs: RLE (uncompressed counts, and the compressed string form pycocotools, CVAT and Label
// Studio write) in COCO's column-major order starting with a run of zeros, and polygon rasterisation (a pixel is
// inside when its centre is, even-odd rule). Pure functions over one byte a pixel.

export interface CocoRle {
  size: [number, number];
  counts: number[] | string;
}

/** Uncompressed COCO RLE of the pixels where `select(value)` holds. */
export function encodeCocoRle(pixels: Uint8Array, width: number, height: number, select: (value: number) => boolean): CocoRle {
  const counts: number[] = [];
  let current = false;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const on = select(pixels[y * width + x]!);
      if (on !== current) {
        counts.push(run);
        run = 0;
        current = on;
      }
      run++;
    }
  }
  counts.push(run);
  return { size: [height, width], counts };
}

/** Decodes COCO's compressed RLE string into counts. */
export function decodeCocoCountsString(text: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < text.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= text.length) throw new Error('compressed RLE string ends inside a number');
      const c = text.charCodeAt(p) - 48;
      x |= (c & 0x1f) << (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && (c & 0x10) !== 0) x |= -1 << (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2]!;
    counts.push(x);
  }
  return counts;
}

/** Encodes counts as COCO's compressed RLE string (the inverse of decodeCocoCountsString). */
export function encodeCocoCountsString(counts: readonly number[]): string {
  let out = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i]!;
    if (i > 2) x -= counts[i - 2]!;
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5;
      more = (c & 0x10) !== 0 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  }
  return out;
}

/** Marks the pixels of an RLE with `value`; throws when the RLE does not describe width×height pixels. */
export function paintCocoRle(rle: CocoRle, pixels: Uint8Array, width: number, height: number, value: number): void {
  const [h, w] = rle.size;
  if (h !== height || w !== width) throw new Error(`its RLE is ${w}×${h} but the image is ${width}×${height}`);
  const counts = typeof rle.counts === 'string' ? decodeCocoCountsString(rle.counts) : rle.counts;
  let at = 0;
  for (let i = 0; i < counts.length; i++) {
    const run = counts[i]!;
    if (!Number.isInteger(run) || run < 0) throw new Error(`RLE count ${run} is not a whole number ≥ 0`);
    if (at + run > width * height) throw new Error(`RLE counts add up to more than the ${width * height} pixels of the image`);
    if (i % 2 === 1) {
      for (let k = at; k < at + run; k++) pixels[(k % height) * width + Math.floor(k / height)] = value;
    }
    at += run;
  }
  if (at !== width * height) throw new Error(`RLE counts add up to ${at} pixels but the image has ${width * height}`);
}

/** Fills polygons (flat [x0, y0, x1, y1, …] lists, even-odd across all of them) with `value`. */
export function paintPolygons(polygons: readonly (readonly number[])[], pixels: Uint8Array, width: number, height: number, value: number): void {
  const edges: [number, number, number, number][] = [];
  for (const poly of polygons) {
    if (poly.length < 6 || poly.length % 2 !== 0) throw new Error('a polygon needs at least three x, y points');
    for (let i = 0; i < poly.length; i += 2) {
      const j = (i + 2) % poly.length;
      edges.push([poly[i]!, poly[i + 1]!, poly[j]!, poly[j + 1]!]);
    }
  }
  fillEdges(edges, pixels, width, height, value);
}
