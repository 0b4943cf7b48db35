// Viewer geometry: image pixels and stage (screen) pixels are distinct types, so mixing them is a type error.
export type ImagePoint = { readonly x: number; readonly y: number } & { readonly __space: 'image' };
export type StagePoint = { readonly x: number; readonly y: number } & { readonly __space: 'stage' };
export const stagePoint = (x: number, y: number) => ({ x, y }) as StagePoint;

/** Where the image sits on the stage: stage = image × scale + offset. */
export interface Viewport {
  scale: number;
  x: number;
  y: number;
}

export const MIN_SCALE = 0.02;
export const MAX_SCALE = 40;

export function toImage(v: Viewport, p: StagePoint): ImagePoint {
  return { x: (p.x - v.x) / v.scale, y: (p.y - v.y) / v.scale } as ImagePoint;
}

/** The whole image in the stage, centred, with a margin. */
export function fitViewport(image: { width: number; height: number }, stage: { width: number; height: number }, margin = 16): Viewport {
  const scale = Math.max(MIN_SCALE, Math.min((stage.width - 2 * margin) / image.width, (stage.height - 2 * margin) / image.height));
  return { scale, x: (stage.width - image.width * scale) / 2, y: (stage.height - image.height * scale) / 2 };
}

/** One image pixel per screen pixel, keeping the stage's centre on the same image point. */
export function actualSizeViewport(v: Viewport, stage: { width: number; height: number }): Viewport {
  return zoomAt(v, stagePoint(stage.width / 2, stage.height / 2), 1 / v.scale);
}

/** Zooms by `factor` keeping the image point under `cursor` where it is. */
export function zoomAt(v: Viewport, cursor: StagePoint, factor: number): Viewport {
  const scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, v.scale * factor));
  const anchor = toImage(v, cursor);
  return { scale, x: cursor.x - anchor.x * scale, y: cursor.y - anchor.y * scale };
}
