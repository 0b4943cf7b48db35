/// <reference lib="dom" />
// What a new user hits on the first day, in browser mode with the real bridge and Chromium: two projects opened one
// after the other each show their own pictures; imports that finish at once (an empty folder, a folder without
// images, the project's own folder) end in a report instead of hanging the dialog.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
