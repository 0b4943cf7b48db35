// Issue 14, leftovers: what killed processes leave in a project is cleared at the next open, and what a live
// process is still writing is not.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { dwb, onlyJson } from '../helpers/cli.js';
import { catalogOf } from '../helpers/faults.js';
import { writeSurface } from '../helpers/images.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('leftovers of killed processes', () => {
  it('are cleared at the next open: partial files, orphan blobs, import runs stuck at running', async () => {
    const dir = await tempDir();
    await writeSurface(path.join(dir, 'src/a.png'));
    const project = path.join(dir, 'p');
    await dwb(['init', project]);
    await dwb(['import', path.join(dir, 'src'), '--project', project]);
    const dead = await deadPid();
    const incoming = path.join(project, 'images/.incoming', `${dead}-0123456789ab.part`);
    const live = path.join(project, 'images/.incoming', `${process.pid}-0123456789ab.part`);
    const thumbPart = path.join(project, 'thumbnails/ab', `.${dead}-0123456789ab.part`);
    const orphan = path.join(project, 'images/ff', `${'f'.repeat(64)}.png`);
    for (const file of [incoming, live, thumbPart, orphan]) {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, 'partial bytes');
    }
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await utimes(orphan, twoMinutesAgo, twoMinutesAgo);
    const db = new Database(catalogOf(project));
    db.prepare(`INSERT INTO import_runs (source, layout, started_at, status) VALUES ('/media/camera', 'flat', ?, 'running')`).run(new Date().toISOString());
    db.close();

    expect(onlyJson(await dwb(['stats', '--project', project, '--json'])).images).toBe(1);

    expect(existsSync(incoming)).toBe(false);
    expect(existsSync(thumbPart)).toBe(false);
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(live)).toBe(true); // a live process's file in progress is left alone
    const check = new Database(catalogOf(project), { readonly: true });
    const runs = check.prepare('SELECT status, report FROM import_runs ORDER BY id').all() as { status: string; report: string | null }[];
    check.close();
    expect(runs.map((r) => r.status)).toEqual(['completed', 'failed']);
    expect(JSON.parse(runs[1]!.report!)).toMatchObject({ interrupted: true, reason: expect.stringMatching(/run the same import again/) });
  });
});
