/// <reference lib="dom" />
// What a new user hits on the first day, in browser mode with the real bridge and Chromium: two projects opened one
// after the other each show their own pictures; imports that finish at once (an empty folder, a folder without
// images, the project's own folder) end in a report instead of hanging the dialog.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { Project } from '../../src/main/store/project.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
let page: Page;
const SHOTS = process.env.DWB_SHOTS;

beforeAll(async () => {
  h = await startHarness();
  page = await h.browser.newPage({ viewport: { width: 1400, height: 900 } });
}, 60_000);

afterEach(async (ctx) => {
  // a failing step leaves a picture of the page to look at
  if (ctx.task.result?.state === 'fail') await page.screenshot({ path: path.join(os.tmpdir(), `dwb-e2e-failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}.png`) }).catch(() => undefined);
});

afterAll(async () => {
  await h?.close();
  if (h) await rm(h.home, { recursive: true, force: true });
});

/** A folder of solid-colour PNGs: every picture of one project has the same, recognizable colour. */
async function colourFolder(dir: string, rgb: [number, number, number], count: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    // each file differs by one pixel row shade so that none is a duplicate of another
    const raw = Buffer.alloc(40 * 30 * 3);
    for (let p = 0; p < 40 * 30; p++) raw.set(p < 40 ? [i, i, i] : rgb, p * 3);
    await sharp(raw, { raw: { width: 40, height: 30, channels: 3 } }).png().toFile(path.join(dir, `${String(i).padStart(3, '0')}.png`));
  }
  return dir;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 400));

async function shot(name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** From the first-run screen: a new project whose images come from `images`, imported through the dialog. */
async function createProject(name: string, images: string): Promise<void> {
  await page.getByTestId('new-dir').fill(path.join(h.home, name));
  await page.getByTestId('images-dir').fill(images);
  await page.getByTestId('create-project').click();
  await page.getByTestId('import-start').click();
  await page.getByTestId('import-report').waitFor({ timeout: 20_000 });
}

/** The colour at the centre of every thumbnail shown, read from the decoded pictures the page holds. */
function thumbnailColours(): Promise<number[][]> {
  return page.locator('[data-testid="thumb"] img').evaluateAll((imgs) =>
    imgs.map((img) => {
      const image = img as HTMLImageElement;
      if (!image.complete || image.naturalWidth === 0) return [];
      const canvas = document.createElement('canvas');
      canvas.width = image.naturalWidth;
      canvas.height = image.naturalHeight;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(image, 0, 0);
      return [...ctx.getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1).data.slice(0, 3)];
    }),
  );
}

function viewerCentre(): Promise<number[]> {
  return page.getByTestId('viewer-stage').locator('canvas').first().evaluate((canvas) => {
    const c = canvas as HTMLCanvasElement;
    return [...c.getContext('2d')!.getImageData(c.width >> 1, c.height >> 1, 1, 1).data.slice(0, 3)];
  });
}

const isRed = (c: number[]) => c.length === 3 && c[0]! > 200 && c[1]! < 60 && c[2]! < 60;
const isBlue = (c: number[]) => c.length === 3 && c[2]! > 200 && c[0]! < 60 && c[1]! < 60;

describe('first day in browser mode', () => {
  it('shows each project its own pictures when two are opened one after the other', async () => {
    // two projects whose pictures differ in colour, made with the same services the app uses
    for (const [name, rgb] of [['red-project', [230, 20, 20]], ['blue-project', [20, 20, 230]]] as const) {
      const project = await Project.create(path.join(h.home, name));
      await runImport(project, await planImport(await colourFolder(path.join(h.home, `${name}-images`), [...rgb], 6)));
      project.close();
    }
    await page.goto(h.bridge.url);
    for (const [name, colour, other] of [['red-project', isRed, isBlue], ['blue-project', isBlue, isRed]] as const) {
      await page.getByTestId('open-dir').fill(path.join(h.home, name));
      await page.getByTestId('open-project').click();
      await expect.poll(async () => (await thumbnailColours()).filter(colour).length, { timeout: 15_000, message: `${name}: thumbnails of its own colour` }).toBe(6);
      expect((await thumbnailColours()).some(other)).toBe(false);
      await shot(`${name}-grid`);
      // the viewer shows this project's picture too
      await page.getByTestId('thumb').first().dblclick();
      await page.getByTestId('viewer-stage').locator('canvas').first().waitFor();
      await expect.poll(async () => colour(await viewerCentre()), { timeout: 10_000 }).toBe(true);
      await page.keyboard.press('Escape');
      await page.getByRole('button', { name: 'Close project' }).click();
      await page.getByText('Try the demo project').waitFor();
    }
  });

  it('ends an import of an empty folder in a report that says no images were found', async () => {
    const empty = path.join(h.home, 'empty-folder');
    await mkdir(empty, { recursive: true });
    await createProject('empty-import', empty);
    const report = page.getByTestId('import-report');
    await expect(report.textContent()).resolves.toMatch(/No images found/i);
    await settle(); // let the buttons' colour transitions end before the picture
    await shot('import-report-empty-folder');
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    await page.getByTestId('import-report').waitFor({ state: 'detached' });
  });

  it('lists the files of a folder without images as skipped, with the reason', async () => {
    const notes = path.join(h.home, 'notes-folder');
    await mkdir(notes, { recursive: true });
    await writeFile(path.join(notes, 'readme.txt'), 'not an image');
    await writeFile(path.join(notes, 'scan.gif'), 'GIF89a');
    await page.getByTestId('open-import').click();
    await page.getByTestId('import-source').fill(notes);
    await page.getByTestId('import-start').click();
    const report = page.getByTestId('import-report');
    await report.waitFor({ timeout: 10_000 });
    const text = await report.textContent();
    expect(text).toMatch(/No images found/i);
    expect(text).toMatch(/readme\.txt/);
    expect(text).toMatch(/not an image/);
    expect(text).toMatch(/scan\.gif/);
    expect(text).toMatch(/unsupported format \(gif\)/);
    await page.getByRole('button', { name: 'Close', exact: true }).click();
  });

  it("refuses to import the project's own folder, and the dialog stays usable", async () => {
    await page.getByTestId('open-import').click();
    await page.getByTestId('import-source').fill(path.join(h.home, 'empty-import'));
    await page.getByTestId('import-start').click();
    await expect.poll(() => page.getByRole('dialog').textContent(), { timeout: 10_000 }).toMatch(/project's own folder/);
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(h.workbench.current().stats().images).toBe(0);
  });
});

async function openProject(dir: string): Promise<void> {
  await page.getByTestId('open-dir').fill(dir);
  await page.getByTestId('open-project').click();
  await page.getByTestId('project-name').waitFor();
}

async function closeProject(): Promise<void> {
  await page.getByRole('button', { name: 'Close project' }).click();
  await page.getByText('Try the demo project').waitFor();
}

describe('first day in browser mode: keys, jobs, paths, the grid', () => {
  it('keeps keys in a focused control: a filter takes ArrowDown and N, and nothing is labelled', async () => {
    if (await page.getByRole('button', { name: 'Close project' }).count()) await closeProject();
    await openProject(path.join(h.home, 'red-project'));
    await page.getByTestId('thumb').nth(1).click();
    const before = await page.getByTestId('shown-count').textContent();
    await page.getByRole('combobox', { name: /Split/ }).focus();
    await page.keyboard.press('n');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Escape');
    await settle();
    expect(await page.getByTestId('shown-count').textContent()).toBe(before);
    // typing in the search field labels nothing (a search is a new list, so the selection starts again at the top)
    await page.getByTestId('filter-search').focus();
    await page.keyboard.press('a');
    await page.keyboard.press('Backspace');
    await settle();
    expect(h.workbench.current().images.summaries().map((s) => s.labelState)).toEqual(Array(6).fill('unlabeled'));
    // with nothing focused the same key labels the selected image
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('n');
    await expect.poll(() => h.workbench.current().images.summaries().filter((s) => s.labelState === 'normal').length).toBe(1);
  });

  it('picks several images and labels them at once; moves them to another split, pinned', async () => {
    const thumbs = page.getByTestId('thumb');
    await thumbs.nth(0).click();
    await thumbs.nth(2).click({ modifiers: ['Shift'] });
    await thumbs.nth(4).click({ modifiers: ['Control'] });
    await expect(page.getByTestId('picked-count').textContent()).resolves.toMatch(/^4 picked/);
    await page.keyboard.press('a');
    const labels = () => h.workbench.current().images.summaries().map((s) => s.labelState);
    await expect.poll(labels).toEqual(['anomalous', 'anomalous', 'anomalous', 'unlabeled', 'anomalous', 'unlabeled']);
    await page.getByRole('combobox', { name: /Move 4 images to/ }).click();
    await page.getByRole('option', { name: 'test' }).click();
    const splits = () => h.workbench.current().images.summaries().map((s) => (s.splitPinned ? s.split : '-'));
    await expect.poll(splits).toEqual(['test', 'test', 'test', '-', 'test', '-']);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('picked-count').count()).resolves.toBe(0);
    // the folder a name came from is shown, and the whole name is in the tooltip
    expect(await thumbs.nth(3).getAttribute('title')).toMatch(/red-project-images\/003\.png\ntrain|red-project-images\/003\.png\nval/);
    await expect(page.getByTestId('shown-count').textContent()).resolves.toMatch(/selected: .*red-project-images\/\d{3}\.png/);
  });

  it('searches and sorts by name, and a new filter starts the grid at its top', async () => {
    await page.getByTestId('filter-search').fill('003');
    await expect.poll(() => page.getByTestId('thumb').count()).toBe(1);
    await page.getByTestId('filter-search').fill('');
    await expect.poll(() => page.getByTestId('thumb').count()).toBe(6);
    await closeProject();

    const many = await Project.create(path.join(h.home, 'many-project'));
    const plan = await planImport(await colourFolder(path.join(h.home, 'many-images'), [120, 120, 120], 150));
    await runImport(many, plan);
    many.close();
    await openProject(path.join(h.home, 'many-project'));
    await page.getByRole('combobox', { name: /Order/ }).click();
    await page.getByRole('option', { name: 'name' }).click();
    await expect.poll(() => page.getByTestId('thumb').first().getAttribute('title')).toMatch(/000\.png/);
    const grid = page.getByTestId('grid');
    await grid.evaluate((g) => (g.scrollTop = g.scrollHeight));
    await expect.poll(() => grid.evaluate((g) => g.scrollTop)).toBeGreaterThan(1000);
    await page.getByRole('combobox', { name: /Label/ }).click();
    await page.getByRole('option', { name: 'unlabeled' }).click();
    await expect.poll(() => grid.evaluate((g) => g.scrollTop)).toBe(0);
    await closeProject();
  });

  it('keeps the dialog and one import through a double-click on Import', async () => {
    const images = await colourFolder(path.join(h.home, 'forty'), [20, 200, 20], 40);
    await page.getByTestId('new-dir').fill(path.join(h.home, 'double-project'));
    await page.getByTestId('images-dir').fill(images);
    await page.getByTestId('create-project').click();
    await page.getByTestId('import-start').dblclick();
    await page.getByTestId('import-report').waitFor({ timeout: 20_000 });
    await settle();
    await expect(page.getByTestId('import-report').textContent()).resolves.toMatch(/40 images imported, 0 were already in the project/);
    expect(h.workbench.current().db.prepare('SELECT count(*) FROM import_runs').pluck().get()).toBe(1);
    await page.getByRole('button', { name: 'Close', exact: true }).click();
  });

  it('shows a running import again after a reload, and its report at the end', async () => {
    const images = await colourFolder(path.join(h.home, 'held'), [200, 200, 20], 12);
    // the import waits at its first file until the test lets it go, so the reload surely happens while it runs
    const store = h.workbench.current().imageFiles;
    const putFile = store.putFile.bind(store);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    store.putFile = async (...args) => (await gate, putFile(...args));
    try {
      await page.getByTestId('open-import').click();
      await page.getByTestId('import-source').fill(images);
      await page.getByTestId('import-start').click();
      await page.getByTestId('import-progress').waitFor();
      await page.reload();
      await page.getByTestId('import-running').waitFor({ timeout: 10_000 });
      expect(await h.workbench.handlers['import.current']({})).toMatchObject({ running: true, source: images });
      await page.getByTestId('import-running').click();
      await page.getByTestId('import-progress').waitFor();
      release();
      await page.getByTestId('import-report').waitFor({ timeout: 30_000 });
      await expect(page.getByTestId('import-report').textContent()).resolves.toMatch(/12 images imported/);
    } finally {
      release();
      store.putFile = putFile;
    }
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    await expect.poll(() => page.getByTestId('import-running').count()).toBe(0);
    await closeProject();
  });

  it('picks a label file in the folder browser and imports the labels it holds', async () => {
    await page.goto(h.bridge.url);
    await page.getByText(/Try the demo project|Close project/).first().waitFor();
    if (await page.getByRole('button', { name: 'Close project' }).count()) await closeProject();
    await createProject('green-project', await colourFolder(path.join(h.home, 'green-images'), [20, 220, 20], 3));
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    const labels = path.join(h.home, 'line-labels');
    await mkdir(path.join(labels, 'old'), { recursive: true });
    await writeFile(path.join(labels, 'labels.csv'), 'file_name,label,class\n000.png,normal,\n001.png,anomalous,dent\n');
    await writeFile(path.join(labels, 'notes.txt'), 'not a label file');

    await page.getByTestId('open-labels').click();
    await page.getByTestId('labels-path').fill(labels);
    await page.getByTestId('labels-path-browse-file').click();
    // the folder typed, its sub-folders and only the label files in it
    await expect.poll(() => page.getByTestId('folder-browser-dir').textContent()).toBe(labels);
    expect(await page.getByTestId('folder-browser-entry').allTextContents()).toEqual(['old/']);
    expect(await page.getByTestId('folder-browser-file').allTextContents()).toEqual(['labels.csv']);
    await page.getByTestId('folder-browser-file').click();
    expect(await page.getByTestId('labels-path').inputValue()).toBe(path.join(labels, 'labels.csv'));
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect.poll(() => page.getByTestId('labels-report').textContent()).toMatch(/^2 images labelled \(0 with masks\); new classes: dent\./);
    const byName = new Map(h.workbench.current().images.list({}).map((i) => [i.originalName, i.labelState]));
    expect([byName.get('000.png'), byName.get('001.png'), byName.get('002.png')]).toEqual(['normal', 'anomalous', 'unlabeled']);
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    await closeProject();
  });

  it('resolves ~ and relative paths from the home folder, says "does not exist", and browses folders', async () => {
    const home = process.env.HOME;
    process.env.HOME = h.home; // the bridge runs in this process: its home folder is the test's
    try {
      await openProject('~/red-project');
      await expect(page.getByTestId('project-name').textContent()).resolves.toMatch(/red-project/);
      await closeProject();
      await openProject('red-project');
      await closeProject();
      await page.getByTestId('open-dir').fill('~/no-such-folder');
      await page.getByTestId('open-project').click();
      await expect.poll(() => page.getByTestId('first-run-error').textContent()).toBe(`${path.join(h.home, 'no-such-folder')} does not exist; check the path, or create a project there`);
      await page.getByTestId('open-dir').fill('~/red-project-images');
      await page.getByTestId('open-project').click();
      await expect.poll(() => page.getByTestId('first-run-error').textContent()).toMatch(/red-project-images is not a Defect Workbench project/);

      await page.getByTestId('open-dir').fill('');
      await page.getByTestId('open-dir-browse').click();
      await expect.poll(() => page.getByTestId('folder-browser-dir').textContent()).toBe(h.home);
      await page.getByTestId('folder-browser-entry').filter({ hasText: 'blue-project/' }).click();
      await expect.poll(() => page.getByTestId('folder-browser-dir').textContent()).toBe(path.join(h.home, 'blue-project'));
      await page.getByTestId('folder-browser-choose').click();
      expect(await page.getByTestId('open-dir').inputValue()).toBe(path.join(h.home, 'blue-project'));
      await page.getByTestId('open-project').click();
      await page.getByTestId('project-name').waitFor();
      await closeProject();
    } finally {
      process.env.HOME = home;
    }
  });
});
