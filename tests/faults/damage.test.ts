// Issue 14, "destroys or hides damage": each case from the probe, run through the real CLI on real files. None of
// these may lose or hide what is stored; each must say what is wrong and what to do.
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dwb, onlyJson } from '../helpers/cli.js';
import { catalogOf, fillDisk, mountSmallDisk, NO_MOUNT_WARNING, overwritePage } from '../helpers/faults.js';
import { writeSurface } from '../helpers/images.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

function oneLineError(result: { code: number | null; stdout: string; stderr: string }, pattern: RegExp) {
  expect(result.code, result.stderr).not.toBe(0);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(lines[0]).not.toMatch(/unexpected error|ZodError|please report/);
}

const messageOf = async (response: Response) => ((await response.json()) as { error: { message: string } }).error.message;

async function projectWithImages(dir: string, count = 2): Promise<string> {
  for (let i = 0; i < count; i++) await writeSurface(path.join(dir, 'src', `${i}.png`), { seed: i + 1 });
  const project = path.join(dir, 'p');
  expect((await dwb(['init', project])).code).toBe(0);
  expect(onlyJson(await dwb(['import', path.join(dir, 'src'), '--project', project, '--json'])).imported).toBe(count);
  return project;
}

describe('damage is never made worse nor hidden', () => {
  it('a catalog truncated to 0 bytes is refused, not rewritten as an empty project', async () => {
    const project = await projectWithImages(await tempDir());
    await truncate(catalogOf(project), 0);
    oneLineError(await dwb(['stats', '--project', project]), /catalog .*project\.sqlite is damaged: it is empty \(0 bytes\).*Restore project\.sqlite from a backup/);
    expect((await stat(catalogOf(project))).size).toBe(0);
  });

  it('a catalog with one page overwritten by random bytes is refused at open, for reads and writes', async () => {
    const project = await projectWithImages(await tempDir());
    // a clean open remembers the catalog passed its check; the overwrite below must still be found
    expect((await dwb(['stats', '--project', project])).code).toBe(0);
    expect(existsSync(`${catalogOf(project)}-checked`)).toBe(true);
    const before = await readFile(catalogOf(project));
    await overwritePage(catalogOf(project), 3);
    const damaged = await readFile(catalogOf(project));
    expect(damaged.equals(before)).toBe(false);
    oneLineError(await dwb(['stats', '--project', project]), /is damaged: SQLite's quick check found .*will not write to it.*dwb check --project/);
    oneLineError(await dwb(['import', path.join(path.dirname(project), 'src'), '--project', project]), /is damaged/);
    oneLineError(await dwb(['serve', '--project', project]), /is damaged/);
    expect((await readFile(catalogOf(project))).equals(damaged)).toBe(true);
  });

  it('dwb init --name "" says the name is empty and leaves nothing that blocks a retry', async () => {
    const project = path.join(await tempDir(), 'p');
    oneLineError(await dwb(['init', project, '--name', '']), /the project name is empty; give a name/);
    expect(existsSync(project)).toBe(false);
    expect(onlyJson(await dwb(['init', project, '--name', 'Line 3', '--json'])).name).toBe('Line 3');
  });

  it('what a creation killed part-way leaves (a temporary catalog, empty store folders) does not block a retry', async () => {
    const project = path.join(await tempDir(), 'p');
    for (const folder of ['images', 'masks']) await mkdir(path.join(project, folder), { recursive: true });
    await writeFile(path.join(project, '.project.sqlite.creating-0a1b2c3d'), 'half a catalog');
    expect(onlyJson(await dwb(['init', project, '--json'])).name).toBe('p');
    expect((await readdir(project)).sort()).toEqual(['images', 'masks', 'project.sqlite', 'project.sqlite-checked', 'thumbnails']);
  });

  it('dwb init on a full disk leaves no half-made project, and a retry after freeing space works', async (context) => {
    // room for a new catalog (schema and its write-ahead log) once the filler is gone
    const disk = mountSmallDisk(1024);
    if (!disk) return (console.warn(NO_MOUNT_WARNING), context.skip());
    const filler = path.join(disk, 'filler');
    fillDisk(filler);
    const project = path.join(disk, 'p');
    oneLineError(await dwb(['init', project]), /the disk holding .*p is full: free some space and create the project again; nothing was left behind/);
    expect(existsSync(project)).toBe(false);
    await truncate(filler, 0);
    expect(onlyJson(await dwb(['init', project, '--name', 'kept', '--json'])).name).toBe('kept');
    expect(onlyJson(await dwb(['stats', '--project', project, '--json'])).images).toBe(0);
  });

  it('a deleted, replaced or modified image file is reported by its URL (404/409 with a body), a lost thumbnail remade', async () => {
    const { Workbench } = await import('../../src/main/app/workbench.js');
    const { startBridge } = await import('../../src/main/bridge/server.js');
    const dir = await tempDir();
    const project = await projectWithImages(dir, 4);
    const workbench = new Workbench('browser');
    const bridge = await startBridge({ workbench, rendererDir: dir, port: 0 });
    try {
      await workbench.handlers['project.open']({ dir: project });
      const images = workbench.current().images.list();
      // files are addressed by content: the image's SHA-256 names its original and its thumbnail
      const get = (kind: string, id: number) =>
        fetch(`http://127.0.0.1:${bridge.port}/files/${kind}/${images.find((i) => i.id === id)!.sha256}`, {
          headers: { Authorization: `Bearer ${bridge.token}` },
        });
      const fileOf = (i: number) => workbench.current().imagePath(images[i]!);
      expect((await get('image', images[0]!.id)).status).toBe(200);

      await rm(fileOf(1));
      const missing = await get('image', images[1]!.id);
      expect(missing.status).toBe(404);
      expect(await messageOf(missing)).toMatch(/file .* is missing: restore the project from a backup copy, or run "dwb check --project .* --repair"/);

      await rm(fileOf(2));
      await mkdir(fileOf(2));
      const folder = await get('image', images[2]!.id);
      expect(folder.status).toBe(409);
      expect(await messageOf(folder)).toMatch(/is not a file/);

      const handle = await open(fileOf(3), 'r+');
      await handle.write(Buffer.from([0x42]), 0, 1, 60); // one byte inside the pixel data, size unchanged
      await handle.close();
      const changed = await get('image', images[3]!.id);
      expect(changed.status).toBe(409);
      expect(await messageOf(changed)).toMatch(/has changed: its bytes no longer match their SHA-256/);

      const thumbnail = workbench.current().thumbnailPath(images[0]!);
      await rm(thumbnail);
      const remade = await get('thumbnail', images[0]!.id);
      expect(remade.status).toBe(200);
      expect(remade.headers.get('content-type')).toBe('image/jpeg');
      expect(existsSync(thumbnail)).toBe(true);
    } finally {
      await bridge.close();
      await workbench.close();
    }
  });

  it('a file over 2 GiB is skipped with its reason and the good images beside it are imported', async () => {
    const dir = await tempDir();
    await writeSurface(path.join(dir, 'src/a.png'), { seed: 1 });
    await writeSurface(path.join(dir, 'src/b.png'), { seed: 2 });
    const huge = await open(path.join(dir, 'src/huge.bmp'), 'w'); // sparse: 3 GiB on paper, a few bytes on disk
    await huge.write(Buffer.from('BM'));
    await huge.truncate(3 * 2 ** 30);
    await huge.close();
    const project = path.join(dir, 'p');
    await dwb(['init', project]);
    const result = await dwb(['import', path.join(dir, 'src'), '--project', project, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = onlyJson(result);
    expect(report.imported).toBe(2);
    expect(report.skipped).toEqual([{ path: path.join(dir, 'src/huge.bmp'), reason: expect.stringMatching(/3\.0 GiB, more than the 2 GiB/) }]);
  });

  it('a truncated image is skipped without leaving its file in the image store', async () => {
    const dir = await tempDir();
    await writeSurface(path.join(dir, 'src/a.png'), { seed: 1, width: 256, height: 256 });
    await writeSurface(path.join(dir, 'src/b.png'), { seed: 2, width: 256, height: 256 });
    const whole = await readFile(path.join(dir, 'src/b.png'));
    await writeFile(path.join(dir, 'src/b.png'), whole.subarray(0, whole.length - 200));
    const project = path.join(dir, 'p');
    await dwb(['init', project]);
    const report = onlyJson(await dwb(['import', path.join(dir, 'src'), '--project', project, '--json']));
    expect(report.imported).toBe(1);
    expect(report.skipped).toHaveLength(1);
    const blobs = (await readdir(path.join(project, 'images'), { recursive: true })).filter((f) => f.endsWith('.png'));
    expect(blobs).toHaveLength(1);
  });
});
