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
