import { describe, expect, it } from 'vitest';
import { keyConflicts, keyName } from '../../src/renderer/src/commands/registry.js';
import { WORKSPACE_COMMANDS } from '../../src/renderer/src/commands/workspaceCommands.js';
import { actualSizeViewport, fitViewport, stagePoint, toImage, zoomAt } from '../../src/renderer/src/viewer/viewport.js';

describe('workspace commands', () => {
  it('no two commands share a key in one context', () => {
    expect(keyConflicts(WORKSPACE_COMMANDS)).toEqual([]);
    expect(keyConflicts([...WORKSPACE_COMMANDS, { id: 'x', label: 'x', keys: ['n'], when: ['viewer'], run: () => undefined }])).toEqual(['n in viewer: label.normal and x']);
  });

  it('names keys the way the registry lists them', () => {
    expect(keyName({ key: 'N', shiftKey: true, ctrlKey: false, metaKey: false, altKey: false })).toBe('n');
    expect(keyName({ key: 'ArrowRight', shiftKey: false, ctrlKey: false, metaKey: false, altKey: false })).toBe('ArrowRight');
    expect(keyName({ key: 'a', shiftKey: false, ctrlKey: true, metaKey: false, altKey: false })).toBe('Ctrl+a');
  });
});

describe('viewer geometry', () => {
  it('zooms at the cursor: the image point under it stays put', () => {
    const v = fitViewport({ width: 900, height: 900 }, { width: 1000, height: 600 });
    const cursor = stagePoint(700, 200);
    const before = toImage(v, cursor);
    const after = toImage(zoomAt(v, cursor, 2.5), cursor);
    expect(after.x).toBeCloseTo(before.x, 9);
    expect(after.y).toBeCloseTo(before.y, 9);
  });

  it('fits the whole image and shows 100% about the centre', () => {
    const v = fitViewport({ width: 2000, height: 1000 }, { width: 1032, height: 800 }, 16);
    expect(v.scale).toBeCloseTo(0.5, 9);
    expect(actualSizeViewport(v, { width: 1032, height: 800 }).scale).toBe(1);
  });
});
