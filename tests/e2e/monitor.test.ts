// The line monitor as a quality engineer uses it in browser mode: on a project with a trained version, open the
// monitor, type the camera's folder, start watching, copy images into the folder and see them listed with their
// scores and outcomes, the counts and the score plot drawn; then stop. DWB_SCREENSHOTS=<dir> also fills the folder
// with a few dozen more parts (some under a lighting change) and saves a screenshot of the monitor screen there.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shiftImage } from '../../src/bench/shift.js';
import { deriveLineThresholds } from '../../src/main/deploy/thresholdsService.js';
import { datasetsAvailable } from '../helpers/paths.js';
import { lineImages, monitorProject } from '../monitor/fixture.js';
import { inkOf, startHarness, type Harness } from './harness.js';

const SHOTS = process.env.DWB_SCREENSHOTS;

let h: Harness;
let page: Page;

beforeAll(async () => {
  h = await startHarness();
  page = await h.browser.newPage({ viewport: { width: 1500, height: 1100 } });
}, 60_000);

afterAll(async () => {
  await h?.close();
  if (h) await rm(h.home, { recursive: true, force: true });
});

describe.skipIf(!datasetsAvailable())('line monitor in the app', () => {
  it('watches a folder from the screen and lists the new images with their scores', async () => {
    const { project, versionId } = await monitorProject(h.home);
    // line thresholds with a review band, as an engineer would have set them before going to the line
    await deriveLineThresholds(project, versionId, { maxMissRate: 0.01, maxFalseRejectRate: 0.05 });
    project.close();
    await h.workbench.handlers['project.open']({ dir: path.join(h.home, 'project') });
    const camera = path.join(h.home, 'camera');
    await mkdir(camera);

    await page.goto(h.bridge.url);
    await page.getByTestId('open-monitor').click();
    await page.getByTestId('monitor-dialog').waitFor();
    await expect.poll(() => page.getByTestId('monitor-state').textContent()).toBe('Not watching');
    await page.getByTestId('monitor-folder').fill(camera);
    await expect.poll(() => page.getByTestId('monitor-version').inputValue()).toBe(String(versionId));
    await page.getByTestId('monitor-start').click();
    await expect.poll(() => page.getByTestId('monitor-state').textContent()).toBe('Watching');
    await expect(page.getByTestId('monitor-message').textContent()).resolves.toMatch(/Watching .*camera and its sub-folders/);

    const line = await lineImages();
    const parts = line.slice(0, 6).map((file, i) => ({ file, name: `part-${String(i + 1).padStart(3, '0')}.jpg` }));
    for (const { file, name } of parts) await copyFile(file, path.join(camera, name));

    await expect.poll(() => page.getByTestId('monitor-part').count(), { timeout: 60_000, interval: 250 }).toBe(parts.length);
    const names = await page.getByTestId('monitor-part-name').allTextContents();
    expect(names.sort()).toEqual(parts.map((p) => p.name).sort());
    for (const score of await page.getByTestId('monitor-part-score').allTextContents()) expect(score).toMatch(/^\d\.\d{3}$/);
    // the counts follow within a moment (the summary is announced a few times a second at most)
    await expect.poll(() => page.getByTestId('monitor-count-scored').textContent()).toBe(String(parts.length));
    // the same scores are recorded where dwb predict records them
    const recorded = h.workbench.current().db.prepare('SELECT count(*) FROM predictions WHERE version_id = ?').pluck().get(versionId);
    expect(recorded).toBe(parts.length);
    const canvas = page.locator('[data-testid="monitor-plot"] canvas');
    await canvas.waitFor();
    await expect.poll(() => inkOf(canvas)).toBeGreaterThan(200);
    await expect(page.getByTestId('monitor-drift-counts').textContent()).resolves.toMatch(/recent passed parts .* good validation images/);

    if (SHOTS) {
      // a few dozen more parts, the last ones after a lighting change, for a screen as it looks on a working line
      for (const [i, file] of line.slice(6, 36).entries()) await copyFile(file, path.join(camera, `part-${String(i + 7).padStart(3, '0')}.jpg`));
      const shifted = line.slice(200, 300);
      for (const [i, file] of shifted.entries()) await shiftImage(file, path.join(camera, 'station-2', `late-${String(i + 1).padStart(3, '0')}.png`), { gain: 0.6, gamma: 1.6, blurSigma: 2.5 });
      await expect.poll(() => page.getByTestId('monitor-count-scored').textContent(), { timeout: 240_000, interval: 500 }).toBe(String(36 + shifted.length));
      await mkdir(SHOTS, { recursive: true });
      // tall enough to show the whole screen, the last parts included
      await page.setViewportSize({ width: 1500, height: 1450 });
      await page.waitForTimeout(1000);
      await page.screenshot({ path: path.join(SHOTS, 'monitor.png') });
      await page.getByTestId('monitor-close').click();
      await page.getByTestId('monitor-dialog').waitFor({ state: 'hidden' });
      await page.screenshot({ path: path.join(SHOTS, 'workspace-while-watching.png'), clip: { x: 0, y: 0, width: 1500, height: 120 } });
      await page.getByTestId('open-monitor').click();
    }

    // the project closed and opened again: the watch goes on by itself, and the screen says so
    await page.getByTestId('monitor-close').click();
    await h.workbench.handlers['project.close']({});
    await h.workbench.handlers['project.open']({ dir: path.join(h.home, 'project') });
    await expect.poll(() => page.getByTestId('open-monitor').textContent()).toMatch(/^Line monitor: watching/);
    await page.getByTestId('open-monitor').click();
    await expect.poll(() => page.getByTestId('monitor-message').textContent()).toMatch(/^Resumed when the project opened: watching .*camera/);
    await page.getByTestId('monitor-stop').click();
    await expect.poll(() => page.getByTestId('monitor-state').textContent()).toBe('Not watching');
    await expect(page.getByTestId('monitor-message').textContent()).resolves.toMatch(/^Stopped\./);
  }, 600_000);
});
