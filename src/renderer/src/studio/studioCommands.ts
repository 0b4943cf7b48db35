// The studio's commands as data: id, label, keys, and what each does to the studio. One dispatcher (useStudioKeys)
// runs them; the toolbar's tooltips and the help overlay read their keys from this list.
import type { ToolId } from './scene/tools';

export interface StudioActions {
  tool(tool: ToolId): void;
  size(direction: 1 | -1): void;
  nextClass(direction: 1 | -1): void;
  undo(): void;
  redo(): void;
  clear(): void;
  closePolygon(mode: 'fill' | 'cut'): boolean;
  cancelPolygon(): boolean;
  removePolygonPoint(): boolean;
  toggleMask(): void;
  toggleHistory(): void;
  toggleHelp(): void;
  level(delta: number): void;
  window(delta: number): void;
  resetWindow(): void;
}

export interface StudioCommand {
  id: string;
  label: string;
  keys: readonly string[];
  /** Returns false when it did not apply (the key then goes on to the workspace's commands). */
  run(a: StudioActions): boolean | void;
}

/** Key names with every modifier, so Ctrl+Z and Shift+Ctrl+Z differ; Cmd counts as Ctrl. */
export function studioKeyName(event: Pick<KeyboardEvent, 'key' | 'shiftKey' | 'ctrlKey' | 'metaKey' | 'altKey'>): string {
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const ctrl = event.ctrlKey || event.metaKey;
  // shifted punctuation ("?", "{") is its own key; Shift is named only with letters under Ctrl and with named keys
  const shift = event.shiftKey && (event.key.length > 1 || (ctrl && /[a-z]/i.test(event.key)));
  return [ctrl && 'Ctrl', event.altKey && 'Alt', shift && 'Shift', key].filter(Boolean).join('+');
}

export const STUDIO_COMMANDS: readonly StudioCommand[] = [
  { id: 'tool.brush', label: 'Brush', keys: ['b'], run: (a) => a.tool('brush') },
  { id: 'tool.eraser', label: 'Eraser', keys: ['e'], run: (a) => a.tool('eraser') },
  { id: 'tool.polygon', label: 'Polygon (click corners)', keys: ['p'], run: (a) => a.tool('polygon') },
  { id: 'tool.fill', label: 'Flood fill', keys: ['g'], run: (a) => a.tool('fill') },
  { id: 'size.down', label: 'Smaller brush / eraser', keys: ['['], run: (a) => a.size(-1) },
  { id: 'size.up', label: 'Larger brush / eraser', keys: [']'], run: (a) => a.size(1) },
  { id: 'class.next', label: 'Next defect class', keys: ['c'], run: (a) => a.nextClass(1) },
  { id: 'class.previous', label: 'Previous defect class', keys: ['x'], run: (a) => a.nextClass(-1) },
  { id: 'polygon.fill', label: 'Close the polygon and fill it', keys: ['Enter'], run: (a) => a.closePolygon('fill') },
  { id: 'polygon.cut', label: 'Close the polygon and cut it out', keys: ['Shift+Enter'], run: (a) => a.closePolygon('cut') },
  { id: 'polygon.back', label: 'Remove the last polygon corner', keys: ['Backspace'], run: (a) => a.removePolygonPoint() },
  { id: 'polygon.cancel', label: 'Cancel the polygon', keys: ['Escape'], run: (a) => a.cancelPolygon() },
  { id: 'mask.clear', label: 'Clear the mask', keys: ['Delete', 'Shift+Delete'], run: (a) => a.clear() },
  { id: 'edit.undo', label: 'Undo', keys: ['Ctrl+z'], run: (a) => a.undo() },
  { id: 'edit.redo', label: 'Redo', keys: ['Ctrl+Shift+z', 'Ctrl+y'], run: (a) => a.redo() },
  { id: 'view.mask', label: 'Show / hide the mask', keys: ['m'], run: (a) => a.toggleMask() },
  { id: 'view.history', label: 'Label history panel', keys: ['h'], run: (a) => a.toggleHistory() },
  { id: 'view.darker', label: 'Display window: darker', keys: [','], run: (a) => a.level(16) },
  { id: 'view.brighter', label: 'Display window: brighter', keys: ['.'], run: (a) => a.level(-16) },
  { id: 'view.lessContrast', label: 'Display window: less contrast', keys: [';'], run: (a) => a.window(1.25) },
  { id: 'view.moreContrast', label: 'Display window: more contrast', keys: ["'"], run: (a) => a.window(0.8) },
  { id: 'view.resetWindow', label: 'Display window: reset', keys: ['r'], run: (a) => a.resetWindow() },
  { id: 'help', label: 'Keyboard shortcuts', keys: ['?'], run: (a) => a.toggleHelp() },
];

/** Pointer gestures, listed in the help beside the keys. */
export const STUDIO_GESTURES: readonly [string, string][] = [
  ['Wheel', 'Zoom at the cursor'],
  ['Space + drag, middle button drag', 'Pan'],
  ['Left drag (brush, eraser)', 'Paint / erase one stroke'],
  ['Click (polygon)', 'Add a corner; click the first corner to close and fill'],
  ['Click (flood fill)', 'Fill the connected region under the cursor'],
];

export function shortcutOf(id: string): string {
  const keys = STUDIO_COMMANDS.find((c) => c.id === id)?.keys ?? [];
  return keys.map(displayKey).join(' / ');
}

export function displayKey(key: string): string {
  if (key === ' ') return 'Space';
  return key
    .split('+')
    .map((k) => (k.length === 1 ? k.toUpperCase() : k))
    .join('+');
}
