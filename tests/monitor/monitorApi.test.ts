// The line monitor's calls through the same dispatch the renderer's calls take: inputs checked against their
// schemas with a message naming the field, no call without an open project, and the events known to both shells.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src/main/app/dispatch.js';
import { RecentProjects } from '../../src/main/app/recentProjects.js';
import { Workbench } from '../../src/main/app/workbench.js';
import { EVENT_NAMES } from '../../src/shared/api.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

describe('monitor channels', () => {
  it('refuses bad input by field, and every call without a project', async () => {
    const workbench = new Workbench('browser', new RecentProjects(path.join(await tempDir(), 'settings')));
    try {
      const empty = await dispatch(workbench.handlers, 'monitor.start', { folder: '  ' });
      expect(empty).toMatchObject({ ok: false, error: { code: 'invalid-input', message: expect.stringMatching(/folder: a folder path is needed/) } });
      const version = await dispatch(workbench.handlers, 'monitor.start', { folder: '/tmp', version: 0 });
      expect(version).toMatchObject({ ok: false, error: { code: 'invalid-input', message: expect.stringMatching(/version/) } });
      const extra = await dispatch(workbench.handlers, 'monitor.stop', { folder: '/tmp' });
      expect(extra).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
      for (const channel of ['monitor.status', 'monitor.stop']) {
        expect(await dispatch(workbench.handlers, channel, {})).toMatchObject({ ok: false, error: { code: 'no-project' } });
      }
    } finally {
      await workbench.close();
    }
  });

  it('announces its events on both shells', () => {
    expect(EVENT_NAMES).toEqual(expect.arrayContaining(['monitor.changed', 'monitor.file']));
  });

  it('says what is wrong with the folder, and that a model is needed', async () => {
    const dir = await tempDir();
    const workbench = new Workbench('browser', new RecentProjects(path.join(dir, 'settings')));
    try {
      await workbench.handlers['project.create']({ dir: path.join(dir, 'project') });
      expect(await workbench.handlers['monitor.status']({})).toMatchObject({ state: 'stopped', folder: null, recent: [], counts: { scored: 0 } });
      await expect(workbench.handlers['monitor.start']({ folder: path.join(dir, 'missing') })).rejects.toThrow(/missing does not exist/);
      await expect(workbench.handlers['monitor.start']({ folder: dir })).rejects.toThrow(/has no trained model yet; train one first/);
    } finally {
      await workbench.close();
    }
  });
});
