// Paths typed in the app: "~" and relative paths from the home folder; the folder browser lists only folders.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFolder } from '../../src/main/fs/folderBrowser.js';
import { resolveUserPath } from '../../src/main/fs/userPaths.js';
import { settingsDir } from '../../src/main/app/recentProjects.js';
import { Project } from '../../src/main/store/project.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

describe('typed paths', () => {
  it('resolves ~ and relative paths from the home folder, never from the server process folder', () => {
    const home = '/home/qe';
    expect(resolveUserPath('~', home)).toBe(home);
    expect(resolveUserPath('~/lines/bottle', home)).toBe('/home/qe/lines/bottle');
    expect(resolveUserPath('  lines/bottle  ', home)).toBe('/home/qe/lines/bottle');
    expect(resolveUserPath('/data/x', home)).toBe('/data/x');
    expect(resolveUserPath('~other/x', home)).toBe('/home/qe/~other/x');
  });

  it('says "does not exist" for a missing folder and "not a project" for a folder without a catalog', async () => {
    const dir = await tempDir();
    await expect(Project.open(path.join(dir, 'missing'))).rejects.toThrow(`${path.join(dir, 'missing')} does not exist`);
    await expect(Project.open(dir)).rejects.toThrow(/is not a Defect Workbench project/);
  });

  it('lists sub-folders (not files, not hidden ones), marks projects, counts images, and knows its parent', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'b-images'));
    await mkdir(path.join(dir, 'A folder with spaces'));
    await mkdir(path.join(dir, '.hidden'));
    await writeFile(path.join(dir, 'x.png'), 'not decoded');
    await writeFile(path.join(dir, 'notes.txt'), '');
    (await Project.create(path.join(dir, 'proj'))).close();
    const listing = await listFolder(dir);
    expect(listing.folders.map((f) => [f.name, f.isProject])).toEqual([['A folder with spaces', false], ['b-images', false], ['proj', true]]);
    expect(listing).toMatchObject({ dir, parent: path.dirname(dir), images: 1, isProject: false });
    expect((await listFolder('/')).parent).toBeNull();
    expect(listing.files).toBeUndefined();
    // asked for label files: those kinds only, by name, hidden ones left out, any case of the extension
    await writeFile(path.join(dir, 'labels.CSV'), '');
    await writeFile(path.join(dir, 'coco.json'), '{}');
    await writeFile(path.join(dir, '.hidden.json'), '{}');
    const withFiles = await listFolder(dir, ['json', 'csv']);
    expect(withFiles.files).toEqual([
      { name: 'coco.json', path: path.join(dir, 'coco.json') },
      { name: 'labels.CSV', path: path.join(dir, 'labels.CSV') },
    ]);
    expect(withFiles.folders).toEqual(listing.folders);
    await expect(listFolder(path.join(dir, 'x.png'))).rejects.toThrow(/is a file, not a folder/);
    await expect(listFolder(path.join(dir, 'nope'))).rejects.toThrow(/does not exist/);
  });
});

describe('the test run itself', () => {
  it("keeps its recent projects out of the developer's own settings folder", () => {
    // set by tests/helpers/settingsHome.ts for every worker and every process a test starts
    expect(process.env.DWB_HOME).toMatch(/dwb-settings-/);
    expect(settingsDir()).toBe(process.env.DWB_HOME);
  });
});
