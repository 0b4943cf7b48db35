// dwb check (and project.check): finds each kind of damage by hashing real files and asking SQLite, repairs what can
// be repaired, and exits 0 only when all is well.
import { spawn } from 'node:child_process';
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecentProjects } from '../../src/main/app/recentProjects.js';
import { Workbench } from '../../src/main/app/workbench.js';
import { dwb, onlyJson } from '../helpers/cli.js';
import { catalogOf, overwritePage } from '../helpers/faults.js';
import { writeMask, writeSurface } from '../helpers/images.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

async function mvtecProject(dir: string): Promise<string> {
  const src = path.join(dir, 'src');
  await writeSurface(path.join(src, 'train/good/0.png'), { seed: 1 });
  await writeSurface(path.join(src, 'train/good/1.png'), { seed: 2 });
  await writeSurface(path.join(src, 'test/scratch/2.png'), { seed: 3 });
  await writeMask(path.join(src, 'ground_truth/scratch/2_mask.png'), 64, 48, (x, y) => (Math.abs(x - y) < 3 ? 255 : 0));
  const project = path.join(dir, 'p');
  await dwb(['init', project]);
  expect(onlyJson(await dwb(['import', src, '--project', project, '--json'])).imported).toBe(3);
  return project;
}

async function blobFiles(store: string): Promise<string[]> {
  return (await readdir(store, { recursive: true })).filter((f) => /^[0-9a-f]{2}\/[0-9a-f]{64}\.\w+$/.test(f)).map((f) => path.join(store, f));
}

const kinds = (report: { problems: { kind: string; repaired: boolean }[] }, repaired?: boolean) =>
  report.problems.filter((p) => repaired === undefined || p.repaired === repaired).map((p) => p.kind).sort();

describe('dwb check', () => {
  it('a healthy project: exit 0, every file hashed', async () => {
    const project = await mvtecProject(await tempDir());
    const result = await dwb(['check', '--project', project, '--json']);
    expect(result.code).toBe(0);
    expect(onlyJson(result)).toMatchObject({ ok: true, catalogOk: true, images: 3, masks: 1, filesHashed: 4, problems: [] });
    expect((await dwb(['check', '--project', project])).stdout).toMatch(/^ok: .*catalog intact, 3 images and 1 masks, 4 files hashed/);
  });

  it('finds deleted, modified and orphan files and leftovers; --repair fixes what it can; exit 1 while anything is left', async () => {
    const dir = await tempDir();
    const project = await mvtecProject(dir);
    const [first, second] = await blobFiles(path.join(project, 'images'));
    await rm(first!);
    const handle = await open(second!, 'r+');
    await handle.write(Buffer.from([0x13]), 0, 1, 50);
    await handle.close();
    const thumbnails = await blobFiles(path.join(project, 'thumbnails'));
    await rm(thumbnails[2]!);
    const [mask] = await blobFiles(path.join(project, 'masks'));
    await rm(mask!);
    const orphan = path.join(project, 'images/ee', `${'e'.repeat(64)}.png`);
    await mkdir(path.dirname(orphan), { recursive: true });
    await writeFile(orphan, 'orphan');
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => child.on('exit', resolve));
    const partial = path.join(project, 'masks/.incoming', `${child.pid}-0123456789ab.part`);
    await mkdir(path.dirname(partial), { recursive: true });
    await writeFile(partial, 'part');

    const found = await dwb(['check', '--project', project, '--json']);
    expect(found.code).toBe(1);
    const before = onlyJson(found);
    expect(before.ok).toBe(false);
    expect(kinds(before)).toEqual(['image-damaged', 'image-missing', 'mask-missing', 'orphan-file', 'partial-file', 'thumbnail-missing']);
    expect((await dwb(['check', '--project', project])).stdout).toMatch(/^PROBLEMS: [^\n]*6 problems found\n[\s\S]*run "dwb check --project .* --repair"/);

    const repaired = await dwb(['check', '--project', project, '--repair', '--json']);
    expect(repaired.code).toBe(1); // the mask has no original to come back from
    const after = onlyJson(repaired);
    expect(kinds(after, true)).toEqual(['image-damaged', 'image-missing', 'orphan-file', 'partial-file', 'thumbnail-missing']);
    expect(kinds(after, false)).toEqual(['mask-missing']);
    expect(after.problems.find((p: { kind: string }) => p.kind === 'mask-missing').message).toMatch(/restore it from a backup copy of the project, or redraw/);

    const again = onlyJson(await dwb(['check', '--project', project, '--json']));
    expect(kinds(again)).toEqual(['mask-missing']);
  });

  it('a catalog page overwritten with random bytes: reported, exit 1, the catalog left as it is', async () => {
    const project = await mvtecProject(await tempDir());
    await overwritePage(catalogOf(project), 3);
    const damaged = await readFile(catalogOf(project));
    const result = await dwb(['check', '--project', project, '--json']);
    expect(result.code).toBe(1);
    const report = onlyJson(result);
    expect(report.catalogOk).toBe(false);
    expect(report.problems[0]).toMatchObject({ kind: 'catalog-damaged', message: expect.stringMatching(/restore project\.sqlite from a backup copy/) });
    expect((await dwb(['check', '--project', project, '--repair'])).code).toBe(1);
    expect((await readFile(catalogOf(project))).equals(damaged)).toBe(true);
  });

  it('is the same check through the API (project.check)', async () => {
    const dir = await tempDir();
    const project = await mvtecProject(dir);
    const workbench = new Workbench('browser', new RecentProjects(dir));
    try {
      await workbench.handlers['project.open']({ dir: project });
      expect(await workbench.handlers['project.check']({})).toMatchObject({ ok: true, images: 3, masks: 1, problems: [] });
      const [first] = await blobFiles(path.join(project, 'images'));
      await rm(first!);
      const report = await workbench.handlers['project.check']({ repair: true });
      expect(report).toMatchObject({ ok: true, problems: [{ kind: 'image-missing', repaired: true }] });
    } finally {
      await workbench.close();
    }
  });
});
