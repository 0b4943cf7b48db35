// Line thresholds and the drift monitor on a real (tiny) trained version: thresholds derived from validation, said
// plainly to stand on good images alone when validation has no defect, stored beside the immutable version and
// editable (never out of order); a defective validation image switches to good-and-bad thresholds; predictions are
// recorded with their pass/review/reject outcome, and the drift check stays quiet on scores like validation's and
// warns on shifted ones.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { driftStatus, recordPredictions } from '../../src/main/deploy/driftMonitor.js';
import { LineThresholdStore } from '../../src/main/deploy/lineThresholdStore.js';
import { deriveLineThresholds, outcomeOf, scoreSplit } from '../../src/main/deploy/thresholdsService.js';
import { Predictor } from '../../src/main/ml/ssn/predictor.js';
import type { Project } from '../../src/main/store/project.js';
import { seededRandom } from '../../src/main/util/random.js';
import { datasetsAvailable } from '../helpers/paths.js';
import { trainedProject } from './fixture.js';

const run = datasetsAvailable() ? describe : describe.skip;

run('line thresholds and drift', () => {
  let dir: string;
  let project: Project;
  let versionId: number;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'dwb-thresholds-'));
    ({ project, versionId } = await trainedProject(dir));
  }, 400_000);

  afterAll(async () => {
    project?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('derives from good validation images alone when validation has no defect, and says so', async () => {
    const t = await deriveLineThresholds(project, versionId, { maxMissRate: 0.01, maxFalseRejectRate: 0.02 }, { resamples: 200 });
    expect(t.basis).toBe('normal-only');
    expect(t.review).toBe(t.reject);
    expect(t.derivation.image.badImages).toBe(0);
    expect(t.derivation.image.notes.join(' ')).toMatch(/no (bad|defective)/i);
    expect(t.derivation.pixel.basis).toBe('normal-quantile');
    // every good validation image passes at the stored threshold: nothing is flagged wholesale
    const val = project.images.list({ split: 'val' }).filter((i) => i.labelState === 'normal');
    expect(t.derivation.image.good.pass.count).toBe(val.length);
    expect(new LineThresholdStore(project.db).get(versionId)).toMatchObject({ review: t.review, reject: t.reject, pixel: t.pixel, editedAt: null });
  });

  it('is edited beside the immutable version, never out of order', () => {
    const store = new LineThresholdStore(project.db);
    const edited = store.edit(versionId, { review: 0.2, reject: 0.6 });
    expect(edited).toMatchObject({ review: 0.2, reject: 0.6 });
    expect(edited.editedAt).not.toBeNull();
    expect(() => store.edit(versionId, { review: 0.7 })).toThrow(/review ≤ reject/);
    expect(() => store.edit(versionId, { pixel: 1.5 })).toThrow(/\[0, 1\]/);
    expect(store.get(versionId)).toMatchObject({ review: 0.2, reject: 0.6 });
    expect(outcomeOf(0.1, edited)).toBe('pass');
    expect(outcomeOf(0.2, edited)).toBe('review');
    expect(outcomeOf(0.6, edited)).toBe('reject');
  });

  it('uses defective validation images when there are some', async () => {
    const defect = project.images.list({ split: 'test' }).find((i) => i.labelState === 'anomalous')!;
    project.images.setSplits([{ id: defect.id, split: 'val' }]);
    const t = await deriveLineThresholds(project, versionId, { maxMissRate: 0, maxFalseRejectRate: 0 }, { resamples: 200 });
    expect(t.basis).toBe('good-and-bad');
    expect(t.derivation.image.badImages).toBe(1);
    expect(t.derivation.pixel.basis).toBe('pixel-f1max');
    expect(t.review).toBeLessThanOrEqual(t.reject);
    project.images.setSplits([{ id: defect.id, split: 'test' }]);
  });

  it('scores a split without labelled images without loading the model', async () => {
    const val = project.images.list({ split: 'val' }).map((i) => i.id);
    expect(val.length).toBeGreaterThan(0);
    const create = vi.spyOn(Predictor, 'create');
    try {
      const scored = await scoreSplit(project, versionId, 'val');
      expect(scored).toHaveLength(val.length);
      expect(create).toHaveBeenCalledTimes(1);
      project.images.setSplits(val.map((id) => ({ id, split: 'train' })));
      expect(await scoreSplit(project, versionId, 'val')).toEqual([]);
      expect(create).toHaveBeenCalledTimes(1);
    } finally {
      project.images.setSplits(val.map((id) => ({ id, split: 'val' })));
      create.mockRestore();
    }
  });

  it('records predictions with their line outcome and warns on drifted scores only', async () => {
    const store = new LineThresholdStore(project.db);
    store.edit(versionId, { review: 0.9, reject: 0.95 });
    const random = seededRandom(5);
    const normal = () => 0.3 + 0.1 * (random() + random() + random() - 1.5);
    const reference = Array.from({ length: 120 }, normal);
    const outcomes = recordPredictions(project, versionId, Array.from({ length: 100 }, (_, i) => ({ path: `fresh-${i}.png`, score: normal() })));
    expect(outcomes.every((o) => o === 'pass')).toBe(true);
    const quiet = await driftStatus(project, versionId, { reference });
    expect(quiet).toMatchObject({ enoughData: true, warn: false, recentCount: 100, cutAt: 0.9 });
    recordPredictions(project, versionId, Array.from({ length: 100 }, (_, i) => ({ path: `shifted-${i}.png`, score: normal() + 0.08 })));
    const shifted = await driftStatus(project, versionId, { reference });
    expect(shifted.warn).toBe(true);
    expect(shifted.medianShift).toBeGreaterThan(0.05);
    const rows = project.db.prepare('SELECT count(*) FROM predictions WHERE version_id = ?').pluck().get(versionId);
    expect(rows).toBe(200);
  });

  it('warns when so few parts pass that the KS test has too few passed parts to judge', async () => {
    const store = new LineThresholdStore(project.db);
    store.edit(versionId, { review: 0.9, reject: 0.95 });
    const reference = Array.from({ length: 60 }, (_, i) => 0.3 + i / 600);
    project.db.prepare('DELETE FROM predictions WHERE version_id = ?').run(versionId);
    // a strong change: every part of the last window scores above the pass threshold
    recordPredictions(project, versionId, Array.from({ length: 100 }, (_, i) => ({ path: `dark-${i}.png`, score: 0.97 })));
    const collapsed = await driftStatus(project, versionId, { reference });
    expect(collapsed.enoughData).toBe(false);
    expect(collapsed.warn).toBe(true);
    expect(collapsed.passShare).toEqual({ recent: 0, reference: 1, parts: 100, collapsed: true });
    expect(collapsed.message).toMatch(/^Only 0 of the last 100 parts passed, where 100% of the good validation parts pass/);
    // a line that passes most parts and rejects a few is not a collapse
    recordPredictions(project, versionId, Array.from({ length: 100 }, (_, i) => ({ path: `ok-${i}.png`, score: i % 10 === 0 ? 0.97 : 0.3 + (i % 7) / 100 })));
    const fine = await driftStatus(project, versionId, { reference });
    expect(fine.passShare?.recent).toBeCloseTo(0.9, 5);
    expect(fine.passShare?.collapsed).toBe(false);
    expect(fine.message).not.toMatch(/^Only/);
  });
});
