// The display window (window/level) maps the shown grey range [level − width/2, level + width/2] to black…white.
// It is a drawing filter on the image only: the stored pixels, the mask and what training reads never change.
export interface DisplayWindow {
  /** Centre of the shown range, 0–255 of the displayed image. */
  level: number;
  /** Width of the shown range; 255 shows everything as is, smaller is more contrast. */
  width: number;
}

export const DEFAULT_WINDOW: DisplayWindow = { level: 127.5, width: 255 };
const FILTER_ID = 'dwb-display-window';

export const isDefaultWindow = (w: DisplayWindow) => w.level === DEFAULT_WINDOW.level && w.width === DEFAULT_WINDOW.width;

/** The canvas filter that draws the image through the window. */
export function displayFilter(w: DisplayWindow): string {
  return isDefaultWindow(w) ? 'none' : `url(#${FILTER_ID})`;
}

/** The SVG filter the canvas refers to: v' = (v − (level − width/2)) / width on each colour channel. */
export function DisplayWindowFilter({ window: w }: { window: DisplayWindow }) {
  const slope = 255 / w.width;
  const intercept = -(w.level - w.width / 2) / w.width;
  return (
    <svg width={0} height={0} style={{ position: 'absolute' }} aria-hidden>
      <filter id={FILTER_ID} colorInterpolationFilters="sRGB">
        <feComponentTransfer>
          <feFuncR type="linear" slope={slope} intercept={intercept} />
          <feFuncG type="linear" slope={slope} intercept={intercept} />
          <feFuncB type="linear" slope={slope} intercept={intercept} />
        </feComponentTransfer>
      </filter>
    </svg>
  );
}
