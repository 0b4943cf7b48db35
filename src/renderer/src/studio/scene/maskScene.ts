// The open image's labels as plain data: its indexed mask (class id per image pixel), the stored version it came
// from, and a colour overlay canvas kept in step with it one rectangle at a time, so a stroke costs its own size
// and never a redraw of the whole mask. It draws nothing on screen itself; the canvas layers show the overlay.
import type { DefectClass } from '../../../../shared/labels';
import { readRect, writeRect, type IndexedMask, type PixelRect } from '../../../../shared/raster';

export class MaskScene implements IndexedMask {
  readonly pixels: Uint8Array;
  /** The overlay: each class in its colour, transparent where there is no defect. */
  readonly overlay: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private lut = new Uint32Array(256);
  /** Defect pixels in the mask (all classes), kept up to date by every change. */
  area = 0;
  /** Bumped by every change, so views can tell that something moved without comparing pixels. */
  version = 0;

  constructor(
    readonly imageId: number,
    readonly width: number,
    readonly height: number,
    pixels: Uint8Array,
    /** The stored version this scene started from or was last saved as. */
    public key: string | null,
    classes: readonly DefectClass[],
  ) {
    this.pixels = pixels;
    this.overlay = document.createElement('canvas');
    this.overlay.width = width;
    this.overlay.height = height;
    this.ctx = this.overlay.getContext('2d', { willReadFrequently: false })!;
    this.setClasses(classes);
    for (let i = 0; i < pixels.length; i++) if (pixels[i]) this.area++;
  }

  /** New colours repaint the whole overlay (rare: a recolour or a new class). */
  setClasses(classes: readonly DefectClass[]): void {
    const lut = new Uint32Array(256);
    const little = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
    for (const c of classes) {
      const r = parseInt(c.color.slice(1, 3), 16);
      const g = parseInt(c.color.slice(3, 5), 16);
      const b = parseInt(c.color.slice(5, 7), 16);
      lut[c.id] = little ? (255 << 24) | (b << 16) | (g << 8) | r : (r << 24) | (g << 16) | (b << 8) | 255;
    }
    // a pixel of a class the renderer does not know yet still shows
    for (let id = 1; id < 256; id++) if (!lut[id]) lut[id] = little ? 0xff00ffff : 0xffff00ff;
    this.lut = lut;
    this.refresh({ x: 0, y: 0, width: this.width, height: this.height });
  }

  /** Repaints the overlay for one rectangle from the mask. */
  refresh(rect: PixelRect): void {
    if (rect.width <= 0 || rect.height <= 0) return;
    // large rectangles go in bands, so no single ImageData is hundreds of megabytes
    const band = Math.max(1, Math.floor(4_000_000 / rect.width));
    for (let y0 = rect.y; y0 < rect.y + rect.height; y0 += band) {
      const h = Math.min(band, rect.y + rect.height - y0);
      const data = this.ctx.createImageData(rect.width, h);
      const out = new Uint32Array(data.data.buffer);
      for (let row = 0; row < h; row++) {
        const from = (y0 + row) * this.width + rect.x;
        for (let x = 0; x < rect.width; x++) out[row * rect.width + x] = this.lut[this.pixels[from + x]!]!;
      }
      this.ctx.putImageData(data, rect.x, y0);
    }
    this.version++;
  }

  read(rect: PixelRect): Uint8Array {
    return readRect(this, rect);
  }

  /** Writes values into a rectangle (an undo, a redo, a reload) and repaints it. */
  write(rect: PixelRect, values: Uint8Array): void {
    const before = readRect(this, rect);
    writeRect(this, rect, values);
    this.area += countNonZero(values) - countNonZero(before);
    this.refresh(rect);
  }

  /** After a tool changed pixels in `rect` directly: count and repaint. `before` is what was there. */
  changed(rect: PixelRect, before: Uint8Array): Uint8Array {
    const after = readRect(this, rect);
    this.area += countNonZero(after) - countNonZero(before);
    this.refresh(rect);
    return after;
  }
}

export function countNonZero(values: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i]) n++;
  return n;
}
