// An import killed with SIGKILL part-way, then run again, must end exactly like an uninterrupted import: same
// counts, no duplicates, an intact catalog, and every catalogued image backed by its files.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Project } from '../../src/main/store/project.js';
import { dwb, onlyJson } from '../helpers/cli.js';
import { writeMask, writeSurface } from '../helpers/images.js';
import { DWB, useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

function catalogCount(projectDir: string): number {
  try {
    const db = new Database(path.join(projectDir, 'project.sqlite'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT count(*) FROM images').pluck().get() as number;
    } finally {
      db.close();
    }
  } catch {
    return 0; // the writer may hold the file for an instant
  }
}

/** Starts `dwb import`, waits until at least `atLeast` images are catalogued, then kills it with SIGKILL. */
async function importAndKill(source: string, project: string, atLeast: number): Promise<number> {
  const child = spawn(process.execPath, [DWB, 'import', source, '--project', project, '--layout', 'mvtec'], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  let seen = 0;
  while (seen < atLeast) {
    await new Promise((r) => setTimeout(r, 20));
    seen = catalogCount(project);
    if (child.exitCode !== null) throw new Error('the import finished before it could be killed; make the dataset larger');
  }
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return catalogCount(project);
}

describe('an import killed part-way', () => {
  it('run again gives the same final counts, no duplicates, integrity_check ok', async () => {
    const dir = await tempDir();
    const src = path.join(dir, 'dataset');
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) writes.push(writeSurface(path.join(src, 'train/good', `${String(i).padStart(3, '0')}.png`), { seed: i, width: 192, height: 192 }));
    for (let i = 0; i < 60; i++) {
      const name = String(i).padStart(3, '0');
      writes.push(writeSurface(path.join(src, 'test/scratch', `${name}.png`), { seed: 1000 + i, width: 192, height: 192 }));
      writes.push(writeMask(path.join(src, 'ground_truth/scratch', `${name}_mask.png`), 192, 192, (x, y) => (Math.abs(x - y - i) < 3 ? 255 : 0)));
    }
    await Promise.all(writes);

    const reference = path.join(dir, 'reference');
    await dwb(['init', reference]);
    const referenceReport = onlyJson(await dwb(['import', src, '--project', reference, '--json']));
    expect(referenceReport.imported).toBe(360);

    const crashed = path.join(dir, 'crashed');
    await dwb(['init', crashed]);
    const afterFirstKill = await importAndKill(src, crashed, 40);
    const afterSecondKill = await importAndKill(src, crashed, afterFirstKill + 40);
    expect(afterSecondKill).toBeLessThan(360);

    const resumed = await dwb(['import', src, '--project', crashed, '--json']);
    expect(resumed.code).toBe(0);
    const report = onlyJson(resumed);
    expect(report.imported + report.duplicates).toBe(360);
    expect(report.duplicates).toBe(afterSecondKill);
    expect(report.stats).toEqual(referenceReport.stats);

    const project = await Project.open(crashed);
    expect(project.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(project.db.pragma('foreign_key_check')).toEqual([]);
    expect(project.db.prepare('SELECT count(*) - count(DISTINCT sha256) FROM images').pluck().get()).toBe(0);
    expect(project.db.prepare(`SELECT count(*) FROM label_events WHERE source = 'import'`).pluck().get()).toBe(360);
    const images = project.images.list();
    expect(images).toHaveLength(360);
    for (const image of images) {
      expect(existsSync(project.imagePath(image))).toBe(true);
      expect(existsSync(project.thumbnailPath(image))).toBe(true);
      if (image.maskSha256) expect(existsSync(project.maskPath(image)!)).toBe(true);
    }
    // the same images end in the same splits as in the uninterrupted import
    const ref = await Project.open(reference);
    const splits = (p: Project) => Object.fromEntries(p.images.list().map((i) => [i.sha256, i.split]));
    expect(splits(project)).toEqual(splits(ref));
    project.close();
    ref.close();
  }, 180_000);
});
