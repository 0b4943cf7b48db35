// The labelling tools as edits of a mask scene: each returns the rectangle it changed with the values before and
// after (the inverse delta undo needs), or null when nothing changed. Coordinates are image pixels; strokes snap
// to pixel centres and polygon corners to pixel corners, so what is drawn is exactly what is stored.
import { fillEdges, floodFill, paintStroke, polygonEdges, readRect, type PixelRect } from '../../../../shared/raster';
import type { ImagePoint } from '../../viewer/viewport';
import type { MaskScene } from './maskScene';

export type ToolId = 'brush' | 'eraser' | 'polygon' | 'fill';

export interface ToolSettings {
  tool: ToolId;
  /** Diameters in image pixels. */
  brushSize: number;
  eraserSize: number;
  /** The class the next stroke paints. */
  classId: number | null;
}

export const MIN_SIZE = 1;
export const MAX_SIZE = 512;

export interface Edit {
  rect: PixelRect;
  before: Uint8Array;
  after: Uint8Array;
}

export type Point = readonly [number, number];

export const snapCentre = (p: ImagePoint): Point => [Math.floor(p.x) + 0.5, Math.floor(p.y) + 0.5];
export const snapCorner = (p: ImagePoint): Point => [Math.round(p.x), Math.round(p.y)];

/** The next brush size up or down: steps of about 15 %, at least one pixel. */
export function stepSize(size: number, direction: 1 | -1): number {
  const next = direction > 0 ? Math.max(size + 1, Math.round(size * 1.15)) : Math.min(size - 1, Math.round(size / 1.15));
  return Math.max(MIN_SIZE, Math.min(MAX_SIZE, next));
}

function clip(scene: MaskScene, x0: number, y0: number, x1: number, y1: number): PixelRect | null {
  const x = Math.max(0, Math.floor(x0));
  const y = Math.max(0, Math.floor(y0));
  const right = Math.min(scene.width - 1, Math.ceil(x1));
  const bottom = Math.min(scene.height - 1, Math.ceil(y1));
  return right < x || bottom < y ? null : { x, y, width: right - x + 1, height: bottom - y + 1 };
}

function finish(scene: MaskScene, rect: PixelRect, before: Uint8Array): Edit | null {
  const after = scene.changed(rect, before);
  for (let i = 0; i < after.length; i++) if (after[i] !== before[i]) return { rect, before, after };
  return null;
}

export function strokeEdit(scene: MaskScene, points: readonly Point[], diameter: number, value: number): Edit | null {
  if (points.length === 0) return null;
  const r = diameter / 2;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const rect = clip(scene, Math.min(...xs) - r - 1, Math.min(...ys) - r - 1, Math.max(...xs) + r + 1, Math.max(...ys) + r + 1);
  if (!rect) return null;
  const before = readRect(scene, rect);
  paintStroke(scene, points, r, value);
  return finish(scene, rect, before);
}

export function polygonEdit(scene: MaskScene, corners: readonly Point[], value: number): Edit | null {
  if (corners.length < 3) return null;
  const xs = corners.map((p) => p[0]);
  const ys = corners.map((p) => p[1]);
  const rect = clip(scene, Math.min(...xs) - 1, Math.min(...ys) - 1, Math.max(...xs) + 1, Math.max(...ys) + 1);
  if (!rect) return null;
  const before = readRect(scene, rect);
  fillEdges(polygonEdges(corners), scene.pixels, scene.width, scene.height, value);
  return finish(scene, rect, before);
}

export function floodEdit(scene: MaskScene, at: Point, value: number): Edit | null {
  const snapshot = scene.pixels.slice();
  const rect = floodFill(scene, Math.floor(at[0]), Math.floor(at[1]), value);
  if (!rect) return null;
  const before = readRect({ width: scene.width, height: scene.height, pixels: snapshot }, rect);
  return finish(scene, rect, before);
}

export function clearEdit(scene: MaskScene): Edit | null {
  if (scene.area === 0) return null;
  const rect = { x: 0, y: 0, width: scene.width, height: scene.height };
  const before = readRect(scene, rect);
  scene.pixels.fill(0);
  return finish(scene, rect, before);
}
