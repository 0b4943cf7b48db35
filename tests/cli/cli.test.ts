import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { dwb, onlyJson } from '../helpers/cli.js';
import { writeSurface } from '../helpers/images.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

function expectOneLineError(result: { code: number | null; stdout: string; stderr: string }, pattern: RegExp) {
  expect(result.code).not.toBe(0);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('dwb', () => {
  it('init, import and stats with --json print exactly one JSON object each', async () => {
    const dir = await tempDir();
    await writeSurface(path.join(dir, 'src/good/a.png'), { seed: 1 });
    await writeSurface(path.join(dir, 'src/dent/b.png'), { seed: 2 });
    await writeFile(path.join(dir, 'src/dent/broken.png'), 'not a png');
    const project = path.join(dir, 'project');
    expect(onlyJson(await dwb(['init', project, '--name', 'Line 3', '--json']))).toEqual({ project, name: 'Line 3' });
    const imported = await dwb(['import', path.join(dir, 'src'), '--project', project, '--layout', 'folders', '--json']);
    expect(imported.code).toBe(0);
    const report = onlyJson(imported);
    expect(report).toMatchObject({ status: 'completed', imported: 2, layout: 'folders', skipped: [{ path: path.join(dir, 'src/dent/broken.png') }] });
    const stats = onlyJson(await dwb(['stats', '--project', project, '--json']));
    expect(Object.keys(stats).sort()).toEqual(['classes', 'images', 'splits']);
    expect(Object.keys(stats.splits).sort()).toEqual(['test', 'train', 'val']);
    for (const split of Object.values(stats.splits)) expect(Object.keys(split as object).sort()).toEqual(['anomalous', 'masks', 'normal', 'unlabeled']);
    expect(stats).toMatchObject({ images: 2, classes: { dent: 1 } });
  });

  it('prints readable output without --json', async () => {
    const dir = await tempDir();
    await writeSurface(path.join(dir, 'src/a.png'));
    const project = path.join(dir, 'p');
    await dwb(['init', project]);
    const imported = await dwb(['import', path.join(dir, 'src'), '--project', project]);
    expect(imported.stdout).toMatch(/^imported: 1 new, 0 already in the project, 0 skipped/);
    expect((await dwb(['stats', '--project', project])).stdout).toMatch(/1 images in .*\nsplit +normal +anomalous +masks +unlabeled\ntrain/);
  });

  it('says "no images found" for a folder without images, and lists what it left out', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'empty'), { recursive: true });
    await mkdir(path.join(dir, 'notes'), { recursive: true });
    await writeFile(path.join(dir, 'notes/readme.txt'), 'no pictures here');
    const project = path.join(dir, 'p');
    await dwb(['init', project]);
    const empty = await dwb(['import', path.join(dir, 'empty'), '--project', project]);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/^no images found in .*empty \(flat layout\); nothing was imported\n$/);
    const notes = await dwb(['import', path.join(dir, 'notes'), '--project', project]);
    expect(notes.stdout).toMatch(/^no images found in .*notes \(flat layout\); 1 other files left out; nothing was imported\n  skipped .*readme\.txt: not an image file \(\.txt\)\n$/);
    const own = await dwb(['import', project, '--project', project]);
    expect(own.code).not.toBe(0);
    expect(own.stderr).toMatch(/is the project's own folder; import from the folder that holds your images/);
  });

  it('fails with one line on stderr that says what was wrong and what to do', async () => {
    const dir = await tempDir();
    expectOneLineError(await dwb(['stats', '--project', dir, '--json']), /^dwb stats: .* is not a Defect Workbench project .*create one with "dwb init/);
    expectOneLineError(await dwb(['import', dir]), /^dwb import: dwb import needs --project <dir>/);
    expectOneLineError(await dwb(['frobnicate']), /^dwb frobnicate: unknown command "frobnicate"; run dwb --help/);
    expectOneLineError(await dwb(['stats', '--project', dir, '--colour']), /^dwb stats: Unknown option '--colour'.*usage: dwb stats/);
    const project = path.join(dir, 'p');
    await dwb(['init', project]);
    expectOneLineError(await dwb(['import', path.join(dir, 'nowhere'), '--project', project]), /does not exist; give the folder that holds the images/);
    expectOneLineError(await dwb(['import', dir, '--project', project, '--layout', 'zip']), /unknown layout "zip"; use one of mvtec, folders, flat/);
    expectOneLineError(await dwb(['init', project]), /already a Defect Workbench project/);
    const usage = await dwb(['import', dir]);
    expect(usage.code).toBe(2);
    // a model size the trainer would refuse, refused before the inference benchmark times anything
    const size = await dwb(['bench', 'inference', '--size', '300x300']);
    expectOneLineError(size, /^dwb bench: --size: image height 300 must be a multiple of 32/);
    expect(size.code).toBe(2);
  });

  it('refuses a project from a newer version without touching it', async () => {
    const project = path.join(await tempDir(), 'p');
    await dwb(['init', project]);
    const db = new Database(path.join(project, 'project.sqlite'));
    db.pragma('user_version = 999');
    db.close();
    expectOneLineError(await dwb(['stats', '--project', project]), /written by a newer Defect Workbench \(catalog schema 999; .*Update the workbench/);
  });

  it('lists its commands in --help', async () => {
    const help = await dwb(['--help']);
    expect(help.code).toBe(0);
    for (const name of ['init', 'import', 'stats', 'demo', 'serve', 'bench']) expect(help.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it('demo: generates a few hundred surface images with scratches, spots, dents and their masks', async () => {
    const dir = path.join(await tempDir(), 'demo');
    const result = await dwb(['demo', dir, '--json']);
    expect(result.code).toBe(0);
    const info = onlyJson(result);
    expect(info.stats.images).toBe(225);
    expect(info.stats.classes).toEqual({ dent: 25, scratch: 25, spot: 25 });
    expect(info.stats.splits.test).toEqual({ normal: 30, anomalous: 75, unlabeled: 0, masks: 75 });
    expect(info.stats.splits.train.normal + info.stats.splits.val.normal).toBe(120);
    // the same seed gives the same images
    const again = onlyJson(await dwb(['demo', path.join(path.dirname(dir), 'demo2'), '--json']));
    const shas = async (root: string) => {
      const db = new Database(path.join(root, 'project.sqlite'), { readonly: true });
      const rows = db.prepare('SELECT sha256 FROM images ORDER BY sha256').pluck().all();
      db.close();
      return rows;
    };
    expect(await shas(again.root)).toEqual(await shas(info.root));
  });
});
