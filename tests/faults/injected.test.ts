// The full-disk paths with the fault injected at the file-system boundary, so they are covered where a tmpfs cannot
// be mounted (CI without root); tests/faults/damage.test.ts and messages.test.ts run the same cases on a real full
// disk where it can.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { writeSurface } from '../helpers/images.js';
import { useTempDirs } from '../helpers/paths.js';

const fault = vi.hoisted(() => ({ link: false, putFileAfter: Infinity }));
const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, link: async (...args: Parameters<typeof actual.link>) => (fault.link ? Promise.reject(enospc()) : actual.link(...args)) };
});
vi.mock('../../src/main/store/blobStore.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/main/store/blobStore.js')>();
  class FullingBlobStore extends actual.BlobStore {
    override async putFile(source: string, extension: string) {
      if (fault.putFileAfter-- <= 0) throw enospc();
      return super.putFile(source, extension);
    }
  }
  return { ...actual, BlobStore: FullingBlobStore };
});

const { Project } = await import('../../src/main/store/project.js');
const { runImport } = await import('../../src/main/import/importer.js');
const { planImport } = await import('../../src/main/import/sources.js');
const { oneLineReason } = await import('../../src/cli/errors.js');
const { createTrainingRun } = await import('../../src/main/ml/jobs/trainingRun.js');
const { bottleSubset, MOBILENET } = await import('../deploy/fixture.js');
const { datasetsAvailable } = await import('../helpers/paths.js');

const tempDir = useTempDirs();

describe('a full disk, injected', () => {
  it('project creation fails whole: nothing is left, the message says what to do, a retry works', async () => {
    const root = path.join(await tempDir(), 'p');
    fault.link = true;
    const error = await Project.create(root).catch((e: unknown) => e);
    fault.link = false;
    expect(oneLineReason(error)).toMatch(/^the disk holding .*p is full: free some space and create the project again; nothing was left behind$/);
    expect(existsSync(root)).toBe(false);
    (await Project.create(root)).close();
  });

  it('an import stops with what to do and keeps what it imported; the same import finishes it', async () => {
    const dir = await tempDir();
    await Promise.all(Array.from({ length: 12 }, (_, i) => writeSurface(path.join(dir, 'src', `${String(i).padStart(2, '0')}.png`), { seed: i })));
    const project = await Project.create(path.join(dir, 'p'));
    try {
      fault.putFileAfter = 5;
      const error = await runImport(project, await planImport(path.join(dir, 'src')), { concurrency: 1, batchSize: 2 }).catch((e: unknown) => e);
      fault.putFileAfter = Infinity;
      expect(oneLineReason(error)).toMatch(/the disk holding .*p is full: free some space and run the import again; nothing imported so far was lost \(\d+ new images are in the project/);
      const kept = project.stats().images;
      expect(kept).toBe(5);
      const again = await runImport(project, await planImport(path.join(dir, 'src')));
      expect(again.imported + again.duplicates).toBe(12);
      expect(project.stats().images).toBe(12);
    } finally {
      project.close();
    }
  });

  it.runIf(datasetsAvailable())('a training run that cannot copy its backbone into the project says the disk is full and records no run', async () => {
    const dir = await tempDir();
    const project = await Project.create(path.join(dir, 'p'));
    try {
      await runImport(project, await planImport(await bottleSubset(dir), 'mvtec'));
      fault.putFileAfter = 0;
      const error = await createTrainingRun(project, { backbone: MOBILENET, preset: 'fast', epochs: 1, size: { height: 128, width: 128 } }, ['cpu']).catch((e: unknown) => e);
      fault.putFileAfter = Infinity;
      expect(oneLineReason(error)).toBe('the disk holding the project is full: free some space and start the training again');
      expect(project.runs.list()).toEqual([]);
    } finally {
      project.close();
    }
  });
});
