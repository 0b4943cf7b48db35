// The model loop as a person does it in browser mode, on a small project made from mvtec_bottle: train from the
// panel and watch progress events arrive, cancel and resume, open the finished version's evaluation (the uPlot
// canvases are drawn), see the heat-map in the viewer, review (accept a predicted mask, confirm a normal, undo),
// retrain from the queue, and find the new version listed with its metrics and the review labels in its snapshot.
// Tiny on purpose (64×64 model input, a few one-step epochs): it proves the wiring, not the model's quality.
// DWB_SCREENSHOTS=<dir> also saves screenshots of each screen there.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRecord } from '../../src/shared/domain.js';
import { DATASETS, DWB, datasetsAvailable, PROJECT_ROOT } from '../helpers/paths.js';
import { inkOf, startHarness, type Harness } from './harness.js';

const SHOTS = process.env.DWB_SCREENSHOTS;
const SIZE = Number(process.env.DWB_E2E_SIZE ?? 64);
// enough steps that the cancel below lands in the training phase, also on a loaded machine
const EPOCHS = Number(process.env.DWB_E2E_EPOCHS ?? 40);
const PICK: Record<string, number> = { 'train/good': Number(process.env.DWB_E2E_TRAIN ?? 14), 'test/good': 5, 'test/broken_large': 3, 'test/contamination': 3 };

let h: Harness;
let page: Page;

const BACKBONE = path.join(path.resolve(PROJECT_ROOT, process.env.DWB_MODELS ?? '../shared/models'), 'mobilenet_v1_keras_imagenet_s8s16.onnx');

/** A small MVTec-layout copy of the first images of each folder, with their masks. */
async function smallDataset(target: string): Promise<void> {
  const source = path.join(DATASETS, 'mvtec_bottle');
  for (const [dir, n] of Object.entries(PICK)) {
    await mkdir(path.join(target, dir), { recursive: true });
    const names = (await readdir(path.join(source, dir))).sort().slice(0, n);
    const defect = dir.startsWith('test/') && dir !== 'test/good' ? dir.slice(5) : null;
    if (defect) await mkdir(path.join(target, 'ground_truth', defect), { recursive: true });
    for (const name of names) {
      await copyFile(path.join(source, dir, name), path.join(target, dir, name));
      const mask = `${path.parse(name).name}_mask.png`;
      if (defect) await copyFile(path.join(source, 'ground_truth', defect, mask), path.join(target, 'ground_truth', defect, mask));
    }
  }
}

async function shot(name: string): Promise<void> {
  if (!SHOTS) return;
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

function lastSource(image: number): string | undefined {
  return h.workbench.current().images.history(image).at(-1)?.source;
}

function image(id: number): ImageRecord {
  return h.workbench.current().images.get(id)!;
}

beforeAll(async () => {
  h = await startHarness();
  page = await h.browser.newPage({ viewport: { width: 1500, height: 950 } });
}, 60_000);

afterAll(async () => {
  await h?.close();
  if (h) await rm(h.home, { recursive: true, force: true });
});

describe.skipIf(!datasetsAvailable())('training, evaluation and review in the app', () => {
  it('trains with progress, cancels and resumes, evaluates, reviews and retrains', async () => {
    const source = path.join(h.home, 'bottle-small');
    await smallDataset(source);
    const w = h.workbench.handlers;
    await w['project.create']({ dir: path.join(h.home, 'project') });
    const imported = new Promise((resolve) => h.workbench.on('import.finished', resolve));
    await w['import.start']({ source, layout: 'mvtec' });
    await imported;
    const progressEvents: string[] = [];
    h.workbench.on('training.progress', (p) => progressEvents.push(p.phase));

    await page.goto(h.bridge.url);
    await page.getByTestId('open-model').click();
    await expect.poll(() => page.getByTestId('training-regime').textContent()).toMatch(/^Unsupervised: .* from \d+ normal training images only/);

    // train from the panel: tiny size, a few epochs
    await page.getByTestId('train-height').fill(String(SIZE));
    await page.getByTestId('train-width').fill(String(SIZE));
    await page.getByTestId('train-epochs').fill(String(EPOCHS));
    await page.getByTestId('train-start').click();
    await page.getByTestId('training-progress').waitFor();
    // progress events reach the page: the counter climbs and the loss curve gets drawn
    await expect.poll(() => page.getByTestId('progress-events').textContent().then(Number), { timeout: 60_000, interval: 100 }).toBeGreaterThan(0);
    await page.locator('[data-testid="loss-plot"] canvas').waitFor({ timeout: 60_000 });
    if (SHOTS) {
      // for the picture, a curve with some history
      await expect.poll(() => progressEvents.filter((p) => p === 'training').length, { timeout: 120_000 }).toBeGreaterThan(12);
      await shot('training-mid-run');
    }
    expect(progressEvents).toContain('training');

    // cancel mid-run: the run is kept and offered for resume
    await page.getByTestId('train-cancel').click();
    await expect.poll(() => page.getByTestId('training-finished').textContent(), { timeout: 60_000 }).toMatch(/cancelled/);
    const run = page.getByTestId('resumable-run');
    await run.waitFor();
    const runId = await run.getAttribute('data-run-id');
    expect(h.workbench.current().runs.get(runId!)).toBeTruthy();
    await run.getByTestId('resume-run').click();
    await expect.poll(() => page.getByTestId('training-finished').textContent(), { timeout: 180_000, interval: 250 }).toMatch(/version 1 is stored/);
    // the next run's form starts from what that version was trained with: its size, not the images' default (256)
    await page.getByTestId('model-close').click();
    await page.getByTestId('open-model').click();
    await expect.poll(() => page.getByTestId('train-height').inputValue()).toBe(String(SIZE));
    expect(await page.getByTestId('train-width').inputValue()).toBe(String(SIZE));

    // the version and its evaluation: the curves and the histogram are drawn on their canvases
    await page.getByTestId('tab-versions').click();
    await page.getByTestId('version-row').first().waitFor();
    await expect(page.getByTestId('version-image_auroc').first().textContent()).resolves.toMatch(/^\d+\.\d$/);
    await page.getByTestId('version-open').first().click();
    await page.getByTestId('evaluation-view').waitFor();
    for (const plot of ['roc-plot', 'pr-plot', 'histogram-plot']) {
      const canvas = page.locator(`[data-testid="${plot}"] canvas`);
      await canvas.waitFor();
      await expect.poll(() => inkOf(canvas)).toBeGreaterThan(500);
    }
    await page.getByTestId('missed-regions').waitFor();
    await expect(page.getByTestId('metric-image_auroc').textContent()).resolves.toMatch(/\d+\.\d/);
    // one row per defect class, each with its 3 test images and an image AUROC against the 5 normal ones
    const classRows = page.getByTestId('class-metrics-row');
    expect(await classRows.count()).toBe(2);
    const cells = await Promise.all([0, 1].map((i) => classRows.nth(i).locator('td').allTextContents()));
    expect(cells.map((c) => c.slice(0, 3))).toEqual([['broken_large', '3', '3'], ['contamination', '3', '3']]);
    for (const c of cells) expect(c[3]).toMatch(/^\d+\.\d$/);
    await shot('evaluation');

    // the review queue: accept a predicted mask, confirm a normal, undo a third action
    await page.getByTestId('tab-review').click();
    await page.getByTestId('review-item').first().waitFor();
    const items = page.getByTestId('review-item');
    const total = await items.count();
    expect(await page.getByTestId('review-counter').textContent()).toBe(`0 of ${total} reviewed`);
    const withMask = page.locator('[data-testid="review-item"]:not([data-predicted-area="0"])').first();
    const maskId = Number(await withMask.getAttribute('data-image-id'));
    const before = h.workbench.current().models.list()[0]!.counts;
    const maskKind = image(maskId).maskSha256 ? 'full' : image(maskId).labelState === 'normal' ? 'normal' : 'other';
    await withMask.click();
    await page.locator('[data-testid="review-heatmap"]').waitFor();
    // the predicted mask's outline is traced at image resolution (vector lines), not drawn in map-sized blocks
    await expect.poll(() => page.getByTestId('review-outline').getAttribute('data-contours')).toMatch(/^[1-9]\d*$/);
    await shot('review-queue');
    await page.keyboard.press('m');
    await expect.poll(() => image(maskId).maskSha256 !== null && lastSource(maskId) === 'review').toBe(true);
    expect(image(maskId).labelState).toBe('anomalous');

    const normalItem = page.locator(`[data-testid="review-item"][data-reviewed="false"]:not([data-image-id="${maskId}"])`).first();
    const normalId = Number(await normalItem.getAttribute('data-image-id'));
    const normalWasNormal = image(normalId).labelState === 'normal';
    await normalItem.click();
    await page.keyboard.press('n');
    await expect.poll(() => lastSource(normalId)).toBe('review');
    expect(image(normalId).labelState).toBe('normal');
    await expect.poll(() => page.getByTestId('review-counter').textContent()).toBe(`2 of ${total} reviewed`);

    const third = page.locator('[data-testid="review-item"][data-reviewed="false"]').first();
    const thirdId = Number(await third.getAttribute('data-image-id'));
    const thirdBefore = image(thirdId);
    await third.click();
    await page.keyboard.press('a');
    await expect.poll(() => lastSource(thirdId)).toBe('review');
    await page.locator(`[data-testid="review-item"][data-image-id="${thirdId}"][data-reviewed="true"]`).waitFor();
    await page.keyboard.press('z');
    // undo erases nothing: the label before the action comes back as a new entry that names what it restores (wait
    // for that entry: when the item was already labelled as 'a' labels it, its label alone does not show the undo)
    await expect.poll(() => h.workbench.current().images.history(thirdId).at(-1)?.restoredFrom ?? null).not.toBeNull();
    expect(image(thirdId).labelState).toBe(thirdBefore.labelState);
    expect(image(thirdId).maskSha256).toBe(thirdBefore.maskSha256);
    const undoEntry = h.workbench.current().images.history(thirdId).at(-1)!;
    expect(undoEntry).toMatchObject({ source: 'review', labelState: thirdBefore.labelState });
    expect(undoEntry.restoredFrom).not.toBeNull();
    await expect.poll(() => page.getByTestId('review-counter').textContent()).toBe(`2 of ${total} reviewed`);

    // retrain in one action; the new version starts from the reviewed one and counts the review labels
    await page.getByTestId('review-retrain').click();
    await page.getByTestId('training-panel').waitFor();
    await expect.poll(() => page.getByTestId('training-finished').textContent(), { timeout: 180_000, interval: 250 }).toMatch(/version 2 is stored/);
    await page.getByTestId('tab-versions').click();
    const newest = page.locator('[data-testid="version-row"][data-version-id="2"]');
    await newest.waitFor();
    await expect(newest.getByTestId('version-image_auroc').textContent()).resolves.toMatch(/^\d+\.\d$/);
    const v2 = h.workbench.current().models.list().find((v) => v.id === 2)!;
    expect(v2.parentId).toBe(1);
    // and continues at the learning rates its parent ended with (after the schedule's two decays)
    const [c1, c2] = [1, 2].map((id) => h.workbench.current().models.require(id).config);
    expect(c2!.lrHeads as number).toBeCloseTo(0.16 * (c1!.lrHeads as number), 12);
    expect(c2!.lrAdaptor as number).toBeCloseTo(0.16 * (c1!.lrAdaptor as number), 12);
    const split = image(maskId).split;
    const expected = structuredClone(before);
    expected[split].full += maskKind === 'full' ? 0 : 1;
    if (maskKind === 'normal') expected[split].normal -= 1;
    if (!normalWasNormal) {
      const s = image(normalId).split;
      expected[s].normal += 1;
      expected[s].full -= 1; // the queue's other images are labelled normal or anomalous with a mask in this dataset
    }
    expect(v2.counts).toEqual(expected);
    const row = await newest.getByTestId('version-counts').textContent();
    expect(row).toContain(`${split.padEnd(5)} ${expected[split].normal}/${expected[split].weak}/${expected[split].full}`);

    // the grid's one Order control offers the score orders once a version has scored the images
    await page.getByTestId('model-close').click();
    await expect.poll(() => page.getByRole('combobox', { name: /Order/ }).count()).toBe(1);
    await page.getByRole('combobox', { name: /Order/ }).click();
    await page.getByRole('option', { name: 'Score, most anomalous first' }).click();
    const badges = page.getByTestId('thumb-score');
    await expect.poll(() => badges.count()).toBeGreaterThan(3);
    const shown = (await badges.allTextContents()).map((t) => Number(t.replace(/^\S+\s/, '')));
    expect(shown).toEqual([...shown].sort((a, b) => b - a));

    // the heat-map in the viewer, from the active (newest) version, on the image it finds most anomalous
    await page.getByTestId('thumb').first().dblclick();
    await page.keyboard.press('v');
    await page.getByTestId('heatmap-score').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('heatmap-score').textContent()).resolves.toMatch(/^(normal|anomalous) · \d\.\d{3} \(v2\)$/);
    await shot('viewer-heatmap');

    // another version made active while no viewer is open: the same image's heat-map is the new active version's
    // (the kept map of v2 was shown again before)
    const selected = (await page.getByTestId('shown-count').textContent())!.split('selected: ')[1]!; // folder/name
    const name = selected.split('/').pop()!;
    const activate = async (id: number) => {
      await page.getByTestId('open-model').click();
      await page.getByTestId('tab-versions').click();
      await page.locator(`[data-testid="version-row"][data-version-id="${id}"] [data-testid="version-active"] input`).click();
      await expect.poll(() => page.locator(`[data-testid="version-row"][data-version-id="${id}"] [data-testid="version-active"] input`).isChecked()).toBe(true);
      await page.getByTestId('model-close').click();
    };
    await page.keyboard.press('Escape');
    await activate(1);
    await page.getByTestId('filter-search').fill(name);
    await expect.poll(() => page.getByTestId('shown-count').textContent()).toMatch(/^\d+ images shown/);
    const thumbs = page.getByTestId('thumb');
    for (let i = 0; i < (await thumbs.count()); i++) {
      await thumbs.nth(i).click();
      if ((await page.getByTestId('shown-count').textContent())!.endsWith(selected)) {
        await thumbs.nth(i).dblclick();
        break;
      }
    }
    await expect(page.getByTestId('viewer-title').textContent()).resolves.toContain(name);
    await expect.poll(() => page.getByTestId('heatmap-score').textContent(), { timeout: 30_000 }).toMatch(/\(v1\)$/);
    await page.keyboard.press('Escape');
    await page.getByTestId('filter-search').fill('');
    await activate(2);
  }, 420_000);

  it('derives and edits the line thresholds, exports a version with them and deletes another, from the Deploy tab', async () => {
    // the project of the test above: versions 1 and 2
    const w = h.workbench.handlers;
    await page.goto(h.bridge.url);
    await expect.poll(() => page.getByTestId('thumb-score').count()).toBeGreaterThan(0);
    await page.getByTestId('open-model').click();
    await page.getByTestId('tab-versions').click();
    await page.locator('[data-testid="version-row"][data-version-id="2"] [data-testid="version-deploy"]').click();
    await page.getByTestId('deploy-panel').waitFor();
    expect(await w['deploy.thresholds']({ version: 2 })).toBeNull();

    // derived from validation (good and defective parts here) for the targets typed, with the rates it promises
    await page.getByTestId('target-false-reject').fill('5');
    await page.getByTestId('derive-thresholds').click();
    await page.getByTestId('thresholds-view').waitFor({ timeout: 60_000 });
    const derived = (await w['deploy.thresholds']({ version: 2 }))!;
    expect(derived.targets).toEqual({ maxMissRate: 0.01, maxFalseRejectRate: 0.05 });
    expect(derived.basis).toBe('good-and-bad');
    expect(await page.getByTestId('thresholds-normal-only').count()).toBe(0);
    expect(await page.getByTestId('threshold-reject').textContent()).toBe(derived.reject.toFixed(4));
    const promised = await page.getByTestId('thresholds-view').locator('tbody tr').allInnerTexts();
    expect(promised[1]).toContain(`${derived.promised.bad!.reject.count} of ${derived.badImages}`);

    // edited by hand; a review threshold above the reject one cannot be saved
    await page.getByTestId('edit-review').fill('0.3');
    await page.getByTestId('edit-reject').fill('0.7');
    await page.getByTestId('save-thresholds').click();
    await expect.poll(async () => (await w['deploy.thresholds']({ version: 2 }))?.editedAt ?? null).not.toBeNull();
    const edited = (await w['deploy.thresholds']({ version: 2 }))!;
    expect([edited.review, edited.reject, edited.pixel]).toEqual([0.3, 0.7, Number(derived.pixel.toFixed(4))]);
    await page.getByTestId('edit-review').fill('0.8');
    expect(await page.getByTestId('save-thresholds').isDisabled()).toBe(true);
    await shot('deploy-thresholds');

    // the export carries the edited thresholds and was checked against the workbench
    const out = path.join(h.home, 'line', 'v2.onnx');
    await page.getByTestId('export-path').fill(out);
    await page.getByTestId('export-model').click();
    await page.getByTestId('export-result').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('export-result').textContent()).toContain(out);
    const metadata = JSON.parse(await readFile(out.replace(/\.onnx$/, '.json'), 'utf8'));
    expect(metadata.model_version).toBe(2);
    expect([metadata.thresholds.review, metadata.thresholds.reject]).toEqual([0.3, 0.7]);
    await shot('deploy-exported');

    // deleting asks first; the exported file stays
    await page.getByTestId('tab-versions').click();
    await page.locator('[data-testid="version-row"][data-version-id="1"] [data-testid="version-delete"]').click();
    await page.getByTestId('version-delete-confirm').click();
    await expect.poll(() => page.getByTestId('version-row').count()).toBe(1);
    expect(h.workbench.current().models.list().map((v) => v.id)).toEqual([2]);
    expect(existsSync(out)).toBe(true);
    // with the last version gone nothing scores the images: the grid's score badges go at once
    await page.locator('[data-testid="version-row"][data-version-id="2"] [data-testid="version-delete"]').click();
    await page.getByTestId('version-delete-confirm').click();
    await page.getByText('No model version yet').waitFor();
    await page.getByTestId('model-close').click();
    await expect.poll(() => page.getByTestId('thumb-score').count()).toBe(0);
  }, 240_000);

  it('shows a run killed part-way as interrupted and resumes it from the panel', async () => {
    const source = path.join(h.home, 'bottle-small-2');
    await smallDataset(source);
    const dir = path.join(h.home, 'killed-project');
    const w = h.workbench.handlers;
    await w['project.create']({ dir });
    const imported = new Promise((resolve) => h.workbench.on('import.finished', resolve));
    await w['import.start']({ source, layout: 'mvtec' });
    await imported;
    await w['project.close']({});

    // a training process killed with SIGKILL once its first checkpoint is written: nothing could mark it stopped
    const child = spawn(process.execPath, [DWB, 'train', '--project', dir, '--backbone', BACKBONE, '--size', '64x64', '--epochs', '400'], { stdio: 'ignore' });
    const runs = path.join(dir, 'runs');
    await expect
      .poll(async () => (existsSync(runs) ? (await readdir(runs)).some((r) => existsSync(path.join(runs, r, 'checkpoint.ckpt'))) : false), { timeout: 120_000, interval: 100 })
      .toBe(true);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    await w['project.open']({ dir });
    await page.goto(h.bridge.url);
    await page.getByTestId('open-model').click();
    const run = page.getByTestId('resumable-run');
    await run.waitFor();
    await expect(run.textContent()).resolves.toMatch(/interrupted.*stopped \(closed or killed\) before it finished/);
    const trainingEpochs: number[] = [];
    h.workbench.on('training.progress', (p) => p.phase === 'training' && trainingEpochs.push(p.epoch));
    await run.getByTestId('resume-run').click();
    await page.getByTestId('training-progress').waitFor();
    await expect.poll(() => trainingEpochs.length, { timeout: 60_000, interval: 100 }).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('progress-epoch').textContent()).toMatch(/^\d+ \/ 400$/);
    // it continues from the checkpoint (written after epoch 1 or later), not from the start
    expect(trainingEpochs[0]).toBeGreaterThan(1);
    await page.getByTestId('train-cancel').click();
    await expect.poll(() => page.getByTestId('training-finished').textContent(), { timeout: 60_000 }).toMatch(/cancelled/);
  }, 240_000);
});