// Issue 14, "hangs" and "says too little": every fault a user can meet through the CLI answers, in one line, with
// the path, what is wrong and what to do, never "unexpected error". Real paths, real mounts, the real CLI.
import { spawn } from 'node:child_process';
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dwb, onlyJson } from '../helpers/cli.js';
import { catalogOf, dwbWithin, fillDisk, mountSmallDisk, NO_MOUNT_WARNING, remountReadOnly } from '../helpers/faults.js';
import { writeSurface } from '../helpers/images.js';
import { DWB, useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

function oneLineError(result: { code: number | null; stdout: string; stderr: string }, pattern: RegExp) {
  expect(result.code, result.stderr).not.toBe(0);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(lines[0]).not.toMatch(/unexpected error|please report/);
}

describe('nothing hangs on a path a user types', () => {
  it('dwb init /proc/self/newproj answers at once', async () => {
    const result = await dwbWithin(['init', '/proc/self/newproj'], 15_000);
    expect(result.timedOut).toBe(false);
    oneLineError(result, /^dwb init: \/proc\/self does not accept new folders .*: choose a folder in your home directory/);
  });

  it('dwb serve answers project.create on /proc/self/… and stops at one Ctrl-C', async () => {
    const child = spawn(process.execPath, [DWB, 'serve'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      let out = '';
      const url = await new Promise<URL>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out);
          if (match) resolve(new URL(match[0]));
        });
        child.on('exit', () => reject(new Error(`serve exited: ${out}`)));
      });
      const headers = { Authorization: `Bearer ${url.searchParams.get('token')}`, 'Content-Type': 'application/json' };
      const call = await fetch(new URL('/api/call', url), {
        method: 'POST',
        headers,
        body: JSON.stringify({ channel: 'project.create', input: { dir: '/proc/self/newproj' } }),
        signal: AbortSignal.timeout(15_000),
      });
      expect(await call.json()).toMatchObject({ ok: false, error: { message: expect.stringMatching(/\/proc\/self does not accept new folders/) } });
      // an open event stream must not keep the server alive either
      const events = await fetch(new URL('/api/events', url), { headers });
      expect(events.status).toBe(200);
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      expect(code).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('faults of paths and disks are said in words', () => {
  it('ENOTDIR, ELOOP and ENAMETOOLONG name the path and what to do', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'afile'), 'x');
    oneLineError(await dwb(['init', path.join(dir, 'afile', 'p')]), /afile is a file, not a folder|part of the path .*afile.* is a file, not a folder/);
    await symlink(path.join(dir, 'loop-b'), path.join(dir, 'loop-a'));
    await symlink(path.join(dir, 'loop-a'), path.join(dir, 'loop-b'));
    oneLineError(await dwb(['init', path.join(dir, 'loop-a', 'p')]), /loop-a.* goes round a loop of symbolic links: use the real folder's path/);
    oneLineError(await dwb(['init', path.join(dir, 'n'.repeat(300))]), /is too long for the file system: choose a shorter folder path or name/);
  });

  it('a place the user may not write (sysfs) says permission denied, with the path', async () => {
    oneLineError(await dwbWithin(['init', '/sys/newproj'], 15_000), /^dwb init: (permission denied for \/sys\/newproj: choose a place you may read and write|\/sys\/newproj is on a read-only disk)/);
  });

  it('a catalog that is a link to /dev/null, or not a database, is refused as damaged', async () => {
    const dir = await tempDir();
    const project = path.join(dir, 'p');
    await dwb(['init', project]);
    await rm(catalogOf(project));
    await symlink('/dev/null', catalogOf(project));
    oneLineError(await dwb(['stats', '--project', project]), /catalog .* is damaged: it is not a regular file.*Restore project\.sqlite from a backup/);
    await rm(catalogOf(project));
    await writeFile(catalogOf(project), 'these are my notes, not a database\n'.repeat(200));
    oneLineError(await dwb(['stats', '--project', project]), /is damaged: it is not an SQLite database/);
  });

  it('a busy port names the port and what to do', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      oneLineError(await dwbWithin(['serve', '--port', String(port)], 15_000), new RegExp(`port ${port} is already used by another program: choose another one with --port`));
    } finally {
      busy.close();
    }
  });

  it('importing a folder that cannot be read says permission denied and where', async () => {
    const dir = await tempDir();
    await dwb(['init', path.join(dir, 'p')]);
    const result = await dwbWithin(['import', '/proc', '--project', path.join(dir, 'p')], 60_000);
    oneLineError(result, /permission denied for \/proc\/\S+: .*import again/);
  });

  it('symbolic links and BMPs with absurd headers are listed as skipped, with the reason', async () => {
    const dir = await tempDir();
    await writeSurface(path.join(dir, 'src/a.png'));
    await symlink('/etc/hostname', path.join(dir, 'src/outside.png'));
    const bmp = Buffer.alloc(64);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(54, 10);
    bmp.writeUInt32LE(40, 14);
    bmp.writeInt32LE(2_147_483_647, 18);
    bmp.writeInt32LE(1, 22);
    bmp.writeUInt16LE(1, 26);
    bmp.writeUInt16LE(24, 28);
    await writeFile(path.join(dir, 'src/absurd.bmp'), bmp);
    await dwb(['init', path.join(dir, 'p')]);
    const report = onlyJson(await dwb(['import', path.join(dir, 'src'), '--project', path.join(dir, 'p'), '--json']));
    expect(report.imported).toBe(1);
    const reasons = Object.fromEntries(report.skipped.map((s: { path: string; reason: string }) => [path.basename(s.path), s.reason]));
    expect(reasons['outside.png']).toMatch(/a symbolic link: links are not followed/);
    expect(reasons['absurd.bmp']).toMatch(/corrupt or unsupported BMP: the header gives 2147483647×1 pixels/);
    expect(reasons['absurd.bmp']).not.toMatch(/RangeError|Invalid/);
  });
});

describe('real read-only and full disks', () => {
  it('a read-only disk: init and opening a project say so', async (context) => {
    const disk = mountSmallDisk(512);
    if (!disk) return (console.warn(NO_MOUNT_WARNING), context.skip());
    await dwb(['init', path.join(disk, 'p')]);
    remountReadOnly(disk);
    oneLineError(await dwb(['init', path.join(disk, 'q')]), /q is on a read-only disk: choose a folder on a writable disk/);
    oneLineError(await dwb(['stats', '--project', path.join(disk, 'p')]), /p is on a read-only disk: the workbench must write the catalog .* copy the project folder to a writable disk/);
  });

  it('a disk that fills during an import: stops with what to do, keeps what was imported, and the same import finishes it', async (context) => {
    const disk = mountSmallDisk(1536);
    if (!disk) return (console.warn(NO_MOUNT_WARNING), context.skip());
    const dir = await tempDir();
    await Promise.all(Array.from({ length: 30 }, (_, i) => writeSurface(path.join(dir, 'src', `${String(i).padStart(2, '0')}.png`), { seed: i, width: 256, height: 256 })));
    const project = path.join(disk, 'p');
    await dwb(['init', project]);
    const result = await dwb(['import', path.join(dir, 'src'), '--project', project]);
    oneLineError(result, /the disk holding .*p is full: free some space and run the import again; nothing imported so far was lost/);
    const partial = onlyJson(await dwb(['stats', '--project', project, '--json'])).images;
    expect(partial).toBeLessThan(30);
    const { execFileSync } = await import('node:child_process');
    execFileSync('mount', ['-o', 'remount,size=64m', disk]);
    const again = onlyJson(await dwb(['import', path.join(dir, 'src'), '--project', project, '--json']));
    expect(again.imported + again.duplicates).toBe(30);
    expect(onlyJson(await dwb(['stats', '--project', project, '--json'])).images).toBe(30);
    expect(await readdir(path.join(project, 'images', '.incoming')).catch(() => [])).toEqual([]);
  });

  it('a disk that fills while labelling: the label call says the disk is full, earlier labels are kept', async (context) => {
    const disk = mountSmallDisk(1024);
    if (!disk) return (console.warn(NO_MOUNT_WARNING), context.skip());
    const dir = await tempDir();
    await writeSurface(path.join(dir, 'src/a.png'));
    const project = path.join(disk, 'p');
    await dwb(['init', project]);
    await dwb(['import', path.join(dir, 'src'), '--project', project]);
    const { Workbench } = await import('../../src/main/app/workbench.js');
    const { dispatch } = await import('../../src/main/app/dispatch.js');
    const workbench = new Workbench('browser', new (await import('../../src/main/app/recentProjects.js')).RecentProjects(dir));
    try {
      await workbench.handlers['project.open']({ dir: project });
      expect((await dispatch(workbench.handlers, 'images.label', { id: 1, labelState: 'normal' })).ok).toBe(true);
      await mkdir(path.join(disk, 'fill'));
      fillDisk(path.join(disk, 'fill', 'zeros'));
      let failure: { code: string; message: string } | null = null;
      let saved = 1;
      for (let i = 0; i < 3000 && !failure; i++) {
        const result = await dispatch(workbench.handlers, 'images.label', { id: 1, labelState: i % 2 ? 'normal' : 'anomalous' });
        if (result.ok) saved++;
        else failure = result.error;
      }
      expect(failure?.message).toMatch(/the disk holding .*p is full: free some space/);
      await workbench.handlers['project.close']({});
      await rm(path.join(disk, 'fill'), { recursive: true });
      const reopened = await workbench.handlers['project.open']({ dir: project });
      expect(reopened.stats.images).toBe(1);
      const history = workbench.current().images.history(1);
      expect(history.length).toBe(saved + 1); // the import's entry and every acknowledged label
    } finally {
      await workbench.close();
    }
  });
});
