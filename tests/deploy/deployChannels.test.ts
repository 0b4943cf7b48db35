// The deploy channels of the typed API, through the same dispatch the renderer's calls take: thresholds derived in
// an ML worker for the user's targets (normal-only said plainly), edited, read back; the drift verdict; an export
// written by the worker; bad input refused with a clear message.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src/main/app/dispatch.js';
import { RecentProjects } from '../../src/main/app/recentProjects.js';
import { Workbench } from '../../src/main/app/workbench.js';
import type { ApiResults, Channel } from '../../src/shared/api.js';
import { datasetsAvailable } from '../helpers/paths.js';
import { trainedProject } from './fixture.js';

async function call<C extends Channel>(workbench: Workbench, channel: C, input: unknown): Promise<ApiResults[C]> {
  const result = await dispatch(workbench.handlers, channel, input);
  if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
  return result.result as ApiResults[C];
}

describe.runIf(datasetsAvailable())('deploy channels', () => {
  let dir: string;
  let workbench: Workbench;
  let versionId: number;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'dwb-deploy-api-'));
    const trained = await trainedProject(dir);
    versionId = trained.versionId;
    trained.project.close();
    workbench = new Workbench('browser', new RecentProjects(path.join(dir, 'settings')));
    await call(workbench, 'project.open', { dir: path.join(dir, 'project') });
  }, 400_000);

  afterAll(async () => {
    await workbench?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('derives, edits and reads the line thresholds, exports, and gives the drift verdict', async () => {
    expect(await call(workbench, 'deploy.thresholds', { version: versionId })).toBeNull();
    const derived = await call(workbench, 'deploy.deriveThresholds', { version: versionId, maxMissRate: 0.01, maxFalseRejectRate: 0.02 });
    expect(derived).toMatchObject({ versionId, basis: 'normal-only', badImages: 0, promised: { bad: null } });
    expect(derived.notes.join(' ')).toMatch(/miss rate cannot be measured/);
    await expect(call(workbench, 'deploy.deriveThresholds', { version: versionId, maxMissRate: 1, maxFalseRejectRate: 0.02 })).rejects.toThrow(/maxMissRate/);
    const edited = await call(workbench, 'deploy.editThresholds', { version: versionId, review: 0.1, reject: 0.9 });
    expect(edited).toMatchObject({ review: 0.1, reject: 0.9, pixel: derived.pixel });
    expect(await call(workbench, 'deploy.thresholds', { version: versionId })).toMatchObject({ review: 0.1, reject: 0.9 });
    const drift = await call(workbench, 'deploy.drift', {});
    expect(drift).toMatchObject({ versionId, enoughData: false, warn: false, cutAt: 0.1 });
    const out = path.join(dir, 'line', 'model.onnx');
    const exported = await call(workbench, 'deploy.export', { version: versionId, out });
    expect(exported).toMatchObject({ versionId, file: out, thresholds: { review: 0.1, reject: 0.9, derivedNow: false } });
    expect(existsSync(out) && existsSync(path.join(dir, 'line', 'model.json'))).toBe(true);
    // a path typed in the app with "~" is the home folder's, as every other path the user types
    const home = process.env.HOME;
    process.env.HOME = dir;
    try {
      const fromHome = await call(workbench, 'deploy.export', { version: versionId, out: '~/line-2/model.onnx' });
      expect(fromHome.file).toBe(path.join(dir, 'line-2', 'model.onnx'));
      expect(existsSync(fromHome.file)).toBe(true);
    } finally {
      process.env.HOME = home;
    }
  }, 400_000);
});
