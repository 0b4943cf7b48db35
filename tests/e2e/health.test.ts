// The project health panel as a person uses it: open it from the workspace, read what is wrong, repair it.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { writeSurface } from '../helpers/images.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
let page: Page;

beforeAll(async () => {
  h = await startHarness();
  page = await h.browser.newPage({ viewport: { width: 1400, height: 900 } });
}, 60_000);

afterAll(async () => {
  await h?.close();
  if (h) await rm(h.home, { recursive: true, force: true });
});

describe('project health panel', () => {
  it('lists a missing image file with what to do, and repairs it from its original', async () => {
    const source = path.join(h.home, 'src');
    for (let i = 0; i < 3; i++) await writeSurface(path.join(source, `${i}.png`), { seed: i + 1 });
    await h.workbench.handlers['project.create']({ dir: path.join(h.home, 'p') });
    const project = h.workbench.current();
    await runImport(project, await planImport(source));
    const image = project.images.get(2)!;
    await rm(project.imagePath(image));

    await page.goto(h.bridge.url);
    await page.getByTestId('open-health').click();
    const report = page.getByTestId('health-report');
    await report.waitFor({ timeout: 30_000 });
    await expect(report.textContent()).resolves.toMatch(/1 problem found.*Image file missing \(image 2\).*is missing: restore it from a backup copy/);
    await page.getByTestId('health-repair').click();
    await expect.poll(() => report.textContent(), { timeout: 30_000 }).toMatch(/All is well: the catalog is intact and all 3 files match their hashes.*1 repaired\..*Repaired — Image file missing/);
    expect(await project.imageFiles.verify(image.sha256, 'png', image.fileSize)).toBeNull();
  });
});
