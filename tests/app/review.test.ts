// The review service on a real project (SQLite catalog, stored maps and masks decoded by sharp): the queue's two
// orders and its reviewed count, each action stored with source `review`, an accepted mask that is exactly the map
// cut at the validation pixel threshold, undo that restores the label before it as a new history entry, and the missed regions of a split.
// The version's maps are written by hand so every expected figure is known.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReviewService } from '../../src/main/app/review.js';
import { decodeStoredMask } from '../../src/main/images/mask.js';
import { encodeMap } from '../../src/main/images/anomalyMap.js';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { takeSnapshot } from '../../src/main/store/datasetSnapshot.js';
import { Project } from '../../src/main/store/project.js';
import type { TrainingRequest } from '../../src/main/store/trainingRuns.js';
import type { EvaluatedImage, EvaluationMetrics, ScoredImage } from '../../src/shared/models.js';
import { proposalThreshold } from '../../src/shared/review.js';
import { writeMask, writeSurface } from '../helpers/images.js';
import { PROJECT_ROOT, useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();
const BACKBONE = path.join(path.resolve(PROJECT_ROOT, process.env.DWB_MODELS ?? '../shared/models'), 'mobilenet_v1_keras_imagenet_s8s16.onnx');
const W = 40;
const H = 32;
const MAP_W = 10;
const MAP_H = 8;
const NO_METRICS: EvaluationMetrics = {
  image_auroc: null, image_ap: null, image_f1max: null, pg2: null, pb2: null, pixel_auroc: null, aupro: null, pixel_ap: null, pixel_f1max: null, f1max_threshold: null, normal_q99: 0.4,
};

/** A map at 10×8: `hot(x, y)` cells at 0.9, the rest at 0.1 (+ a tiny ramp so normal pixels are not all tied). */
function map(hot: (x: number, y: number) => boolean): Float32Array {
  const m = new Float32Array(MAP_W * MAP_H);
  for (let y = 0; y < MAP_H; y++) for (let x = 0; x < MAP_W; x++) m[y * MAP_W + x] = hot(x, y) ? 0.9 : 0.1 + 0.001 * x;
  return m;
}

async function setUp() {
  const dir = await tempDir();
  const src = path.join(dir, 'src');
  for (let i = 0; i < 6; i++) await writeSurface(path.join(src, 'train/good', `${i}.png`), { seed: i, width: W, height: H });
  await writeSurface(path.join(src, 'test/good/g.png'), { seed: 20, width: W, height: H });
  await writeSurface(path.join(src, 'test/scratch/s.png'), { seed: 21, width: W, height: H });
  // the scratch's true region is on the right; its map will be hot on the left: a missed region
  await writeMask(path.join(src, 'ground_truth/scratch/s_mask.png'), W, H, (x, y) => (x >= 28 && x < 36 && y >= 8 && y < 24 ? 255 : 0));
  await writeSurface(path.join(src, 'test/dent/d.png'), { seed: 22, width: W, height: H });
  const project = await Project.create(path.join(dir, 'project'));
  await runImport(project, await planImport(src, 'mvtec'));
  const train = project.images.list({ split: 'train' }).concat(project.images.list({ split: 'val' }));
  project.images.setSplits(train.map((image, i) => ({ id: image.id, split: i < 2 ? 'val' : 'train' })));
  const byName = (name: string) => project.images.list({ split: 'test' }).find((i) => i.originalName === name)!;
  const [g, s, d] = [byName('g.png'), byName('s.png'), byName('d.png')];

  const request: TrainingRequest = {
    preset: 'fast',
    config: { preset: 'fast', epochs: 1, seed: 0, size: { height: 64, width: 64 }, batchSize: 8 },
    backbone: { sha256: await project.models.storeBackbone(BACKBONE), name: path.basename(BACKBONE), source: BACKBONE },
    parentId: null,
    snapshot: takeSnapshot(project.db),
  };
  const run = project.runs.create(request);
  const version = await project.models.add({
    runId: run.id, request, config: request.config, featureScale: 1, inferenceGraph: Buffer.from('graph'),
    parameters: new Map([['w', new Float32Array([1])]]), trainSeconds: 1, provider: 'cpu', metrics: {},
  });
  const evaluated = async (imageId: number, labelState: EvaluatedImage['labelState'], hasMask: boolean, score: number, values: Float32Array): Promise<ScoredImage> => {
    const encoded = await encodeMap(values, MAP_W, MAP_H);
    return { imageId, labelState, hasMask, score, mapSha256: await project.models.storeMap(encoded.png), mapMin: encoded.min, mapMax: encoded.max };
  };
  const add = async (split: 'val' | 'test', images: ScoredImage[]) =>
    project.models.addEvaluation({ versionId: version, split, metrics: NO_METRICS, byClass: [], msPerImage: 1, provider: 'cpu', mapWidth: MAP_W, mapHeight: MAP_H, images });
  const cold = map(() => false);
  await add('val', await Promise.all(project.images.list({ split: 'val' }).map((v, i) => evaluated(v.id, 'normal', false, 0.2 + 0.01 * i, cold))));
  await add('test', [
    await evaluated(g.id, 'normal', false, 0.3, map((x) => x < 5)),
    await evaluated(s.id, 'anomalous', true, 0.9, map((x) => x < 5)),
    await evaluated(d.id, 'anomalous', false, 0.55, cold),
  ]);
  const service = new ReviewService(() => project, () => undefined);
  return { project, service, version, g, s, d };
}

describe('review service', () => {
  it("cuts a proposed mask at the pixel threshold where masks fitted it, else at the map's half maximum in log-odds", () => {
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    expect(proposalThreshold({ value: 0.5, basis: 'pixel-f1max' }, sigmoid(4))).toBe(0.5);
    // logit 0 and 4: halfway is 2
    expect(proposalThreshold({ value: 0.5, basis: 'normal-quantile' }, sigmoid(4))).toBeCloseTo(sigmoid(2), 12);
    expect(proposalThreshold({ value: sigmoid(-1), basis: 'default' }, sigmoid(3))).toBeCloseTo(sigmoid(1), 12);
    // a map that never reaches the threshold proposes nothing above it
    expect(proposalThreshold({ value: 0.5, basis: 'normal-quantile' }, 0.4)).toBe(0.5);
    // a saturated map (score 1) is taken at 1 − 1e-7, not at infinity
    expect(proposalThreshold({ value: 0.5, basis: 'normal-quantile' }, 1)).toBeCloseTo(sigmoid(Math.log((1 - 1e-7) / 1e-7) / 2), 9);
  });

  it('ranks, acts with source review, accepts the predicted mask, undoes, and lists missed regions', async () => {
    const { project, service, version, g, s, d } = await setUp();
    const h = service.handlers;
    // no anomalous validation image: the image threshold is the normal q99 of validation (0.4)
    const byScore = await h['review.queue']({ version, order: 'anomalous' });
    expect(byScore.imageThreshold).toBe(0.4);
    expect(byScore.items.map((i) => i.imageId).slice(0, 3)).toEqual([s.id, d.id, g.id]);
    const uncertain = await h['review.queue']({ version, order: 'uncertain' });
    // |0.3 − 0.4| = 0.1 < |0.55 − 0.4| = 0.15 < validation images' 0.19…0.2 < |0.9 − 0.4|
    expect(uncertain.items[0]!.imageId).toBe(g.id);
    expect(uncertain.items[1]!.imageId).toBe(d.id);
    expect(uncertain.items.at(-1)!.imageId).toBe(s.id);
    // asked for no order, the queue comes nearest the threshold first (what teaches a retraining the most)
    const unasked = await h['review.queue']({ version });
    expect(unasked.order).toBe('uncertain');
    expect(unasked.items.map((i) => i.imageId)).toEqual(uncertain.items.map((i) => i.imageId));
    // the pixel threshold sits in the cold normal pixels' range; half the map (x < 5) is above it
    expect(byScore.pixelThreshold).toBeGreaterThan(0.1);
    expect(byScore.pixelThreshold).toBeLessThan(0.9);
    expect(byScore.items.find((i) => i.imageId === g.id)!.predictedArea).toBe(0.5);
    // no validation masks: each image's mask is cut at its map's half maximum in log-odds, between the threshold and
    // its hottest pixel (0.9): for the hand-made maps, whose hot cells are flat, the same half of the map
    const t = byScore.pixelThreshold;
    const logit = (p: number) => Math.log(p / (1 - p));
    expect(byScore.items.find((i) => i.imageId === g.id)!.maskThreshold).toBeCloseTo(1 / (1 + Math.exp(-(logit(t) + logit(0.9)) / 2)), 5);
    expect(byScore.items.find((i) => i.imageId === d.id)!.maskThreshold).toBe(t);
    expect(byScore.items.find((i) => i.imageId === d.id)!.predictedArea).toBe(0);
    expect(byScore.reviewed).toBe(0);

    // accept the predicted mask on the normal image: anomalous, with the map's left half as its mask
    const accepted = await h['review.act']({ version, imageId: g.id, action: 'mask' });
    expect(accepted.labelState).toBe('anomalous');
    const mask = await decodeStoredMask(project.maskPath(accepted)!);
    expect([mask.width, mask.height]).toEqual([W, H]);
    for (let y = 0; y < H; y++) {
      expect(mask.pixels[y * W + 0]).toBe(255);
      expect(mask.pixels[y * W + 18]).toBe(255);
      expect(mask.pixels[y * W + 22]).toBe(0);
      expect(mask.pixels[y * W + 39]).toBe(0);
    }
    expect(project.images.history(g.id).at(-1)).toMatchObject({ source: 'review', labelState: 'anomalous', maskSha256: accepted.maskSha256 });

    // nothing to accept where no pixel reaches the threshold: a clear error, the label untouched
    await expect(h['review.act']({ version, imageId: d.id, action: 'mask' })).rejects.toThrow(/marks no pixel of d\.png/);
    expect(project.images.history(d.id).at(-1)!.source).toBe('import');

    // confirming anomalous keeps the mask the scratch already has; reject keeps the label and records the look
    const sMask = project.images.get(s.id)!.maskSha256;
    expect((await h['review.act']({ version, imageId: s.id, action: 'anomalous' })).maskSha256).toBe(sMask);
    expect((await h['review.act']({ version, imageId: d.id, action: 'reject' })).labelState).toBe('anomalous');
    expect(project.images.history(d.id).at(-1)!.source).toBe('review');
    const after = await h['review.queue']({ version, order: 'anomalous' });
    expect(after.reviewed).toBe(3);
    expect(after.items.find((i) => i.imageId === g.id)).toMatchObject({ reviewed: true, lastAction: 'mask', labelState: 'anomalous', hasMask: true });

    // undo takes back the accepted mask: the import's label returns as a new entry, and nothing is erased
    const undone = await h['review.undo']({ imageId: g.id });
    expect(undone).toMatchObject({ labelState: 'normal', maskSha256: null });
    const history = project.images.history(g.id);
    expect(history.map((e) => e.source)).toEqual(['import', 'review', 'review']);
    expect(history[1]).toMatchObject({ labelState: 'anomalous' });
    expect(history[2]).toMatchObject({ labelState: 'normal', restoredFrom: history[0]!.id });
    expect((await h['review.queue']({ version })).reviewed).toBe(2);
    await expect(h['review.undo']({ imageId: g.id })).rejects.toThrow(/no review action to undo/);

    // the scratch's true region (right) gets cold map values: missed at the pixel threshold
    const analysis = await h['models.analysis']({ version });
    expect(analysis.regions).toBe(1);
    expect(analysis.missed).toHaveLength(1);
    expect(analysis.missed[0]).toMatchObject({ imageId: s.id, overlap: 0 });
    expect(analysis.pixelThreshold.basis).toBe('normal-quantile');
    project.close();
  });

  it('still counts an accepted mask as a mask label after it is corrected in the studio', async () => {
    const { project, service, version, g, s } = await setUp();
    const h = service.handlers;
    const accepted = await h['review.act']({ version, imageId: g.id, action: 'mask' });
    // the engineer corrects the accepted mask: another mask of the same size, saved by the labelling tools
    const corrected = project.images.mask(project.images.get(s.id)!.maskSha256!)!;
    expect(corrected.sha256).not.toBe(accepted.maskSha256);
    project.images.setLabel(g.id, { labelState: 'anomalous' }, 'user', corrected);
    const queue = await h['review.queue']({ version });
    expect(queue.items.find((i) => i.imageId === g.id)).toMatchObject({ reviewed: true, lastAction: 'mask', hasMask: true });
    project.close();
  });
});
