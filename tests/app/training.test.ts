// The model service behind the typed API, called through the same dispatch the renderer's calls take: training runs
// in a worker thread with progress events, is cancelled (keeping its checkpoint) and resumed to a version; versions
// are listed, opened, evaluated (per-image scores and maps), used to predict, made active and deleted. Real images,
// the real MobileNet backbone, a real tiny training run.
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src/main/app/dispatch.js';
import { RecentProjects } from '../../src/main/app/recentProjects.js';
import { Workbench } from '../../src/main/app/workbench.js';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { PRESETS } from '../../src/main/ml/ssn/index.js';
import { Project } from '../../src/main/store/project.js';
import type { ApiEvents, ApiResults, Channel, EventName } from '../../src/shared/api.js';
import { SMALL_BACKBONE, writeBottleSubset } from '../helpers/bottleProject.js';
import { datasetsAvailable, useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

async function call<C extends Channel>(workbench: Workbench, channel: C, input: unknown): Promise<ApiResults[C]> {
  const result = await dispatch(workbench.handlers, channel, input);
  if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
  return result.result as ApiResults[C];
}

function collect<E extends EventName>(workbench: Workbench, event: E): ApiEvents[E][] {
  const seen: ApiEvents[E][] = [];
  workbench.on(event, (payload) => seen.push(payload));
  return seen;
}

function next<E extends EventName>(workbench: Workbench, event: E, when: (p: ApiEvents[E]) => boolean = () => true): Promise<ApiEvents[E]> {
  return new Promise((resolve) => {
    const off = workbench.on(event, (payload) => {
      if (!when(payload)) return;
      off();
      resolve(payload);
    });
  });
}

describe.runIf(datasetsAvailable())('model service', () => {
  it('trains in a worker with progress, cancels, resumes to a version, then serves versions, evaluations and predictions', async () => {
    const dir = await tempDir();
    const root = path.join(dir, 'project');
    const seeded = await Project.create(root);
    await runImport(seeded, await planImport(await writeBottleSubset(path.join(dir, 'src')), 'mvtec'));
    seeded.close();
    const workbench = new Workbench('browser', new RecentProjects(path.join(dir, 'settings')));
    try {
      await call(workbench, 'project.open', { dir: root });
      const before = await call(workbench, 'training.status', {});
      expect(before.current).toEqual({ counts: { train: { normal: 6, weak: 0, full: 0 }, val: { normal: 2, weak: 0, full: 0 }, test: { normal: 2, weak: 0, full: 2 } }, regime: 'unsupervised' });
      expect((await call(workbench, 'models.backbones', {})).map((b) => b.name)).toContain(path.basename(SMALL_BACKBONE));
      await expect(call(workbench, 'training.start', { backbone: SMALL_BACKBONE, size: { height: 64, width: 60 } })).rejects.toThrow(/multiple of 32/);
      await expect(call(workbench, 'training.start', { backbone: SMALL_BACKBONE, epochs: 0 })).rejects.toThrow(/training.start was called with invalid input \(epochs/);

      const progress = collect(workbench, 'training.progress');
      const firstSteps = next(workbench, 'training.progress', (p) => p.phase === 'training' && p.step >= 2);
      const { runId } = await call(workbench, 'training.start', { backbone: SMALL_BACKBONE, preset: 'fast', size: { height: 64, width: 64 }, epochs: 40, seed: 3 });
      await expect(call(workbench, 'training.start', { backbone: SMALL_BACKBONE })).rejects.toThrow(/already running/);
      const stepped = await firstSteps;
      expect(stepped).toMatchObject({ runId, epochs: 40, provider: 'cpu', losses: { total: expect.any(Number) } });
      expect(Object.keys(stepped.losses).length).toBeGreaterThan(1);
      expect(stepped.imagesPerSecond).toBeGreaterThan(0);
      const status = await call(workbench, 'training.status', {});
      expect(status.active).toMatchObject({ id: runId, status: 'running', preset: 'fast', regime: 'unsupervised', progress: { runId } });

      const cancelled = next(workbench, 'training.finished');
      expect(await call(workbench, 'training.cancel', { runId })).toEqual({ cancelled: true });
      expect(await cancelled).toEqual({ runId, status: 'cancelled', versionId: null, error: null });
      const stepsBefore = progress.filter((p) => p.phase === 'training').at(-1)!.step;
      expect(stepsBefore).toBeLessThan(40);
      const afterCancel = await call(workbench, 'training.status', {});
      expect(afterCancel.active).toBeNull();
      expect(afterCancel.runs[0]).toMatchObject({ id: runId, status: 'cancelled', resumable: true, versionId: null });

      const finished = next(workbench, 'training.finished');
      progress.length = 0;
      expect(await call(workbench, 'training.resume', { runId })).toEqual({ runId });
      const done = await finished;
      expect(done).toMatchObject({ runId, status: 'completed', error: null });
      // resumed where it stopped, not from the start
      expect(progress.find((p) => p.phase === 'training')!.step).toBeGreaterThan(stepsBefore);
      expect(progress.some((p) => p.phase === 'evaluating' && p.split === 'test')).toBe(true);
      await expect(call(workbench, 'training.resume', { runId })).rejects.toThrow(/is completed; only a cancelled, failed or interrupted run/);

      const versionId = done.versionId!;
      const [listed] = await call(workbench, 'models.list', {});
      expect(listed).toMatchObject({ id: versionId, preset: 'fast', epochs: 40, seed: 3, active: false, testMetrics: { image_auroc: expect.any(Number) } });
      const detail = await call(workbench, 'models.get', { version: versionId });
      // the fast preset's projection fitted to the backbone: a third of MobileNet v1's 256 + 512 pooled channels
      expect(detail).toMatchObject({ runId, featureScale: expect.any(Number), config: { featureStride: PRESETS.fast.featureStride, projectedChannels: 256, epochs: 40 } });
      expect(detail.evaluations.map((e) => e.split).sort()).toEqual(['test', 'val']);

      const evaluation = (await call(workbench, 'models.evaluation', { version: versionId }))!;
      expect(evaluation).toMatchObject({ split: 'test', images: 4, normal: 2, anomalous: 2, masks: 2, mapWidth: 64, mapHeight: 64 });
      expect(evaluation.perImage).toHaveLength(4);
      const scored = evaluation.perImage[0]!;
      const map = await call(workbench, 'models.map', { evaluationId: evaluation.id, imageId: scored.imageId });
      expect(map).toMatchObject({ width: 64, height: 64, min: scored.mapMin, max: scored.mapMax });
      expect(await sharp(Buffer.from(map.pngBase64, 'base64')).metadata()).toMatchObject({ format: 'png', width: 64, height: 64, channels: 1 });

      const evaluated = next(workbench, 'evaluation.finished');
      const { jobId } = await call(workbench, 'models.evaluate', { version: versionId, split: 'test' });
      const reevaluated = await evaluated;
      expect(reevaluated).toMatchObject({ jobId, versionId, error: null, evaluation: { split: 'test', images: 4 } });
      expect(reevaluated.evaluation!.metrics).toEqual(evaluation.metrics);
      // the newer evaluation replaced the older one
      expect((await call(workbench, 'models.get', { version: versionId })).evaluations.filter((e) => e.split === 'test')).toHaveLength(1);

      const predicted = await call(workbench, 'models.predict', { imageId: scored.imageId });
      expect(predicted).toMatchObject({ imageId: scored.imageId, versionId, map: { width: 64, height: 64 } });
      expect(predicted.score).toBeCloseTo(scored.score, 5);
      expect(predicted.label).toBe(predicted.score >= predicted.threshold ? 'anomalous' : 'normal');

      // a retraining after review takes as many steps as its parent did: one training image now labelled as a
      // defect balances every batch (3 normal images a step: 2 steps an epoch, 20 epochs for the parent's 40 steps),
      // where the preset alone would size it at 50 epochs (100 steps) and the parent's epochs would double its steps
      const trainImage = workbench.current().images.list({ split: 'train' })[0]!;
      await call(workbench, 'images.label', { id: trainImage.id, labelState: 'anomalous' });
      const retrainCancelled = next(workbench, 'training.finished');
      const retrain = await call(workbench, 'training.start', { backbone: SMALL_BACKBONE, preset: 'fast', size: { height: 64, width: 64 }, seed: 3, parentVersion: versionId });
      expect(workbench.current().runs.get(retrain.runId)!.request).toMatchObject({ parentId: versionId, config: { epochs: 20, clsMapMaxLogit: 1 } });
      await call(workbench, 'training.cancel', { runId: retrain.runId });
      await retrainCancelled;

      // the app's views that show a version's scores hear of every change of which version that is
      const modelsChanged = collect(workbench, 'models.changed');
      expect(await call(workbench, 'models.setActive', { version: versionId })).toEqual({ active: versionId });
      expect((await call(workbench, 'models.list', {}))[0]!.active).toBe(true);
      await expect(call(workbench, 'models.setActive', { version: 99 })).rejects.toThrow(/no model version 99/);
      const deleted = await call(workbench, 'models.delete', { version: versionId });
      expect(deleted.deleted).toBe(versionId);
      expect(deleted.removedFiles).toBeGreaterThan(4);
      expect(await call(workbench, 'models.list', {})).toEqual([]);
      expect(modelsChanged).toEqual([
        { active: versionId, deleted: null },
        { active: null, deleted: versionId },
      ]);
      await expect(call(workbench, 'models.predict', { imageId: scored.imageId })).rejects.toThrow(/no trained model yet/);
    } finally {
      await workbench.close();
    }
  }, 180_000);
});
