import { describe, expect, it } from 'vitest';
import { WORKSPACE_COMMANDS } from '../../src/renderer/src/commands/workspaceCommands.js';
import { STUDIO_COMMANDS, studioKeyName } from '../../src/renderer/src/studio/studioCommands.js';
import { stepSize } from '../../src/renderer/src/studio/scene/tools.js';

const press = (key: string, mods: Partial<Record<'shiftKey' | 'ctrlKey' | 'metaKey' | 'altKey', boolean>> = {}) =>
  studioKeyName({ key, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, ...mods });

describe('studio commands', () => {
  it('no two studio commands share a key', () => {
    const seen = new Map<string, string>();
    const conflicts: string[] = [];
    for (const c of STUDIO_COMMANDS) {
      for (const k of c.keys) {
        if (seen.has(k)) conflicts.push(`${k}: ${seen.get(k)} and ${c.id}`);
        seen.set(k, c.id);
      }
    }
    expect(conflicts).toEqual([]);
  });

  it('takes no key the workspace uses in the viewer, except Escape, which it passes on when no polygon is open', () => {
    const viewerKeys = new Set(WORKSPACE_COMMANDS.filter((c) => c.when.includes('viewer')).flatMap((c) => c.keys));
    const shared = STUDIO_COMMANDS.flatMap((c) => c.keys.filter((k) => viewerKeys.has(k)).map((k) => `${k} (${c.id})`));
    expect(shared).toEqual(['Escape (polygon.cancel)']);
    const cancel = STUDIO_COMMANDS.find((c) => c.id === 'polygon.cancel')!;
    const noPolygon = { cancelPolygon: () => false } as never;
    expect(cancel.run(noPolygon)).toBe(false);
  });

  it('tells undo from redo: Ctrl+Z, Shift+Ctrl+Z, Cmd+Z, Ctrl+Y', () => {
    const idOf = (name: string) => STUDIO_COMMANDS.find((c) => c.keys.includes(name))?.id;
    expect(idOf(press('z', { ctrlKey: true }))).toBe('edit.undo');
    expect(idOf(press('Z', { ctrlKey: true, shiftKey: true }))).toBe('edit.redo');
    expect(idOf(press('z', { metaKey: true }))).toBe('edit.undo');
    expect(idOf(press('y', { ctrlKey: true }))).toBe('edit.redo');
    expect(idOf(press('?', { shiftKey: true }))).toBe('help');
    expect(idOf(press('Enter', { shiftKey: true }))).toBe('polygon.cut');
    expect(idOf(press('['))).toBe('size.down');
  });

  it('steps brush sizes by about 15 %, at least one pixel, within 1–512', () => {
    expect(stepSize(1, 1)).toBe(2);
    expect(stepSize(12, 1)).toBe(14);
    expect(stepSize(14, -1)).toBe(12);
    expect(stepSize(1, -1)).toBe(1);
    expect(stepSize(512, 1)).toBe(512);
  });
});
