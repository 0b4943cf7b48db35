// The recent projects list on the first screen: a project that moved or was deleted can be taken off it, and only
// the list changes.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecentProjects } from '../../src/main/app/recentProjects.js';
import { Workbench } from '../../src/main/app/workbench.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

describe('recent projects', () => {
  it('forgets a moved project, keeps the others in order, and touches no folder', async () => {
    const dir = await tempDir();
    const workbench = new Workbench('browser', new RecentProjects(path.join(dir, 'settings')));
    try {
      const [line1, line2, line3] = ['line1', 'line2', 'line3'].map((n) => path.join(dir, n));
      for (const root of [line1!, line2!, line3!]) await workbench.handlers['project.create']({ dir: root });
      await workbench.handlers['project.close']({});
      await rm(line2!, { recursive: true });
      const before = await workbench.handlers['project.recent']({});
      expect(before.map((r) => [path.basename(r.root), r.exists])).toEqual([['line3', true], ['line2', false], ['line1', true]]);

      const after = await workbench.handlers['project.forgetRecent']({ dir: line2! });
      expect(after.map((r) => path.basename(r.root))).toEqual(['line3', 'line1']);
      expect(await workbench.handlers['project.recent']({})).toEqual(after);

      // a project still on disk can be taken off the list too; its folder stays
      const last = await workbench.handlers['project.forgetRecent']({ dir: line1! });
      expect(last.map((r) => path.basename(r.root))).toEqual(['line3']);
      expect(existsSync(path.join(line1!, 'project.sqlite'))).toBe(true);
      // forgetting what is not on the list changes nothing
      expect(await workbench.handlers['project.forgetRecent']({ dir: path.join(dir, 'never') })).toEqual(last);
    } finally {
      await workbench.close();
    }
  });
});
