// Presets resolve to complete configs; the fast preset sizes its run in steps from the training set; bad requests
// get errors that say what to change.
import { describe, expect, it } from 'vitest';
import { resolveConfig, retrainEpochs, warmStartConfig } from '../../src/main/ml/ssn/presets.js';
import type { TrainingConfig } from '../../src/main/ml/ssn/types.js';

const backbonePath = 'backbone.onnx';

describe('presets', () => {
  it('default to fast on the CPU and paper on a GPU, as published for paper', () => {
    expect(resolveConfig({ backbonePath }, { provider: 'cpu' }).preset).toBe('fast');
    const paper = resolveConfig({ backbonePath }, { provider: 'cuda' });
    expect(paper).toMatchObject({ preset: 'paper', epochs: 300, batchSize: 32, featureStride: 4, projectedChannels: null, segHidden: 1024, clsHidden: 128, lrAdaptor: 1e-4, lrHeads: 2e-4, noiseStd: 0.015, mapScoreWeight: 0, mapSigma: 4 });
    expect(paper.clsMapMaxLogit ?? 0).toBe(0);
    expect(resolveConfig({ backbonePath }, { provider: 'cpu' })).toMatchObject({ batchSize: 8, featureStride: 8, projectedChannels: 512, segHidden: 512, clsHidden: 8, mapScoreTopShare: 0.01, mapSigma: 8, clsMapMaxLogit: 1 });
  });

  it('give the fast preset 8 normal images a step, 30 epochs within 1600..4160 images, and a quarter of the image score from the map whatever the labels', () => {
    const bottle = resolveConfig({ backbonePath }, { provider: 'cpu', trainImages: { normal: 42, anomalous: 0 } });
    expect(bottle.epochs).toBe(33); // 6 steps an epoch, 198 steps
    expect([bottle.mapScoreWeight, bottle.densityScoreWeight]).toEqual([0.25, 0.5]); // the head's share: 0.25
    const tile = resolveConfig({ backbonePath }, { provider: 'cpu', trainImages: { normal: 286, anomalous: 0 } });
    expect(tile.epochs).toBe(14); // 36 steps an epoch, 504 steps
    const big = resolveConfig({ backbonePath }, { provider: 'cpu', trainImages: { normal: 2000, anomalous: 60 } });
    expect(big.batchSize).toBe(16); // balanced: 8 normal images a step, as without defects
    expect(big.epochs).toBe(1); // 250 balanced steps an epoch, 260 steps of 16 at most (rounded to whole epochs)
    expect([big.mapScoreWeight, big.densityScoreWeight]).toEqual([0.25, 0.5]);
    expect(resolveConfig({ backbonePath, epochs: 7 }, { provider: 'cpu', trainImages: { normal: 42, anomalous: 0 } }).epochs).toBe(7);
    const weak = resolveConfig({ backbonePath }, { provider: 'cpu', trainImages: { normal: 286, anomalous: 60 } });
    expect([weak.batchSize, weak.epochs]).toEqual([16, 7]); // 36 balanced steps an epoch, 252 steps
    expect(resolveConfig({ backbonePath, batchSize: 4 }, { provider: 'cpu', trainImages: { normal: 286, anomalous: 60 } }).batchSize).toBe(4);
  });

  it("fit the fast preset's projection to the backbone: a third of its pooled channels, at most 512", () => {
    const channels = (pooledChannels: number, partial = {}) => resolveConfig({ backbonePath, ...partial }, { provider: 'cpu', pooledChannels }).projectedChannels;
    expect(channels(1536)).toBe(512); // ResNet-50 and DenseNet-121: 512 + 1024
    expect(channels(768)).toBe(256); // MobileNet v1: 256 + 512
    expect(channels(3072)).toBe(512);
    expect(channels(200)).toBe(64);
    expect(channels(40)).toBe(32);
    expect(channels(1536, { projectedChannels: 128 })).toBe(128); // asked for: kept
    expect(resolveConfig({ backbonePath }, { provider: 'cuda', pooledChannels: 768 }).projectedChannels).toBeNull(); // paper: no projection
  });

  it("start a warm-started run at the rates its parent ended with and its parent's form of the logit, nothing else changed", () => {
    const config = resolveConfig({ backbonePath }, { provider: 'cpu', trainImages: { normal: 42, anomalous: 0 } });
    const warm = warmStartConfig(config, config);
    expect(warm.lrAdaptor).toBeCloseTo(config.lrAdaptor * 0.4 * 0.4, 12);
    expect(warm.lrHeads).toBeCloseTo(config.lrHeads * 0.4 * 0.4, 12);
    expect({ ...warm, lrAdaptor: 0, lrHeads: 0 }).toEqual({ ...config, lrAdaptor: 0, lrHeads: 0 });
    // a parent trained before the logit started from the map (no field) keeps its plain logit
    expect(warmStartConfig(config, {}).clsMapMaxLogit).toBe(0);
  });

  it('give the density half the image score from ten normal images on, and below that the map and the head half each', () => {
    const shares = (normal: number, partial: Partial<TrainingConfig> = {}) => {
      const c = resolveConfig({ backbonePath, ...partial }, { provider: 'cpu', trainImages: { normal, anomalous: 3 } });
      return [c.mapScoreWeight, c.densityScoreWeight];
    };
    expect(shares(10)).toEqual([0.25, 0.5]);
    expect(shares(9)).toEqual([0.5, 0]);
    expect(shares(9, { mapScoreWeight: 0.3 })).toEqual([0.3, 0]);
    expect(shares(400, { densityScoreWeight: 0 })).toEqual([0.25, 0]);
    expect(resolveConfig({ backbonePath }, { provider: 'gpu' }).densityScoreWeight ?? 0).toBe(0); // paper: as published
    expect(() => resolveConfig({ backbonePath, mapScoreWeight: 0.6 }, { provider: 'cpu' })).toThrow(/add up to at most 1, got 0.6 and 0.5/);
  });

  it("give the regional density and the patch memory a third of the fast preset's map each from ten normal images on and without real masks, in windows of 8 and 4 cells; never to the paper preset unasked", () => {
    const parts = (normal: number, partial: Partial<TrainingConfig> = {}) => {
      const c = resolveConfig({ backbonePath, ...partial }, { provider: 'cpu', trainImages: { normal, anomalous: 3 } });
      return [c.regionalMapWeight, c.regionalWindow, c.memoryMapWeight, c.memoryWindow];
    };
    expect(parts(10)).toEqual([1 / 3, 8, 1 / 3, 4]);
    expect(parts(9)).toEqual([0, 8, 0, 4]);
    expect(parts(9, { regionalMapWeight: 0.3 })).toEqual([0.3, 8, 0, 4]);
    expect(parts(9, { memoryMapWeight: 0.2 })).toEqual([0, 8, 0.2, 4]);
    // real masks teach the map: the normal images' parts stay out of it, weak labels alone leave them in
    const masked = (n: number) => {
      const c = resolveConfig({ backbonePath }, { provider: 'cpu', trainImages: { normal: 200, anomalous: 60, masked: n } });
      return [c.regionalMapWeight, c.memoryMapWeight];
    };
    expect([masked(0), masked(1), masked(60)]).toEqual([[1 / 3, 1 / 3], [0, 0], [0, 0]]);
    const paper = resolveConfig({ backbonePath }, { provider: 'gpu' });
    expect([paper.regionalMapWeight ?? 0, paper.memoryMapWeight ?? 0]).toEqual([0, 0]);
    expect(() => resolveConfig({ backbonePath, preset: 'paper', regionalMapWeight: 0.5, regionalWindow: 8 }, { provider: 'cpu' })).toThrow(/regional density is fitted on projected features: use it with the fast preset/);
    expect(() => resolveConfig({ backbonePath, preset: 'paper', memoryMapWeight: 0.5, memoryWindow: 4 }, { provider: 'cpu' })).toThrow(/patch memory is fitted on projected features: use it with the fast preset, or set memoryMapWeight to 0/);
    expect(() => resolveConfig({ backbonePath, regionalWindow: 7 }, { provider: 'cpu' })).toThrow(/regional density's window must be an even number of cells \(e.g. 8\), got 7/);
    expect(() => resolveConfig({ backbonePath, memoryWindow: 3 }, { provider: 'cpu' })).toThrow(/patch memory's window must be an even number of cells \(e.g. 8\), got 3/);
    expect(() => resolveConfig({ backbonePath, regionalMapWeight: 0.7 }, { provider: 'cpu' })).toThrow(/add up to less than 1, got 0.7 and 0.3333/);
    expect(() => resolveConfig({ backbonePath, memoryMapWeight: -0.1 }, { provider: 'cpu' })).toThrow(/must be ≥ 0/);
  });

  it("start the classification logit from the map's only without real defects, unless asked", () => {
    const fast = (anomalous: number, partial: Partial<TrainingConfig> = {}) =>
      resolveConfig({ backbonePath, ...partial }, { provider: 'cpu', trainImages: { normal: 229, anomalous } }).clsMapMaxLogit;
    expect(fast(0)).toBe(1);
    expect(fast(12)).toBe(0);
    expect(fast(12, { clsMapMaxLogit: 0.5 })).toBe(0.5);
  });

  it("give a retraining as many steps as its parent's run took, over the images it has now", () => {
    const tile = { epochs: 20, batchSize: 16, trainImages: { normal: 229, anomalous: 0 } }; // 15 steps an epoch: 300
    expect(retrainEpochs(tile, { normal: 229, anomalous: 0 })).toBe(20);
    // defects labelled in review balance each batch (8 normal images a step): 29 steps an epoch, 10 epochs = 290 steps
    expect(retrainEpochs(tile, { normal: 229, anomalous: 12 })).toBe(10);
    expect(retrainEpochs({ epochs: 2, batchSize: 16, trainImages: { normal: 20, anomalous: 0 } }, { normal: 20, anomalous: 40 })).toBe(1); // at least one
    // the fast preset's parent took 504 steps of 8 (4 032 images); its retraining with defects gets 7 epochs (72
    // balanced steps of 8 an epoch), which it runs in balanced batches of 16 (fastBatchSize): 252 steps, as many images
    const unsupervised = { epochs: 14, batchSize: 8, trainImages: { normal: 286, anomalous: 0 } };
    expect(retrainEpochs(unsupervised, { normal: 286, anomalous: 60 })).toBe(7);
    expect(retrainEpochs(unsupervised, { normal: 286, anomalous: 0 })).toBe(14);
  });

  it('refuse sizes, epochs and batches that cannot work, saying what to use', () => {
    expect(() => resolveConfig({ backbonePath, size: { height: 250, width: 256 } }, { provider: 'cpu' })).toThrow(/height 250 must be a multiple of 32/);
    expect(() => resolveConfig({ backbonePath, epochs: 0 }, { provider: 'cpu' })).toThrow(/epochs must be a positive whole number/);
    expect(() => resolveConfig({ backbonePath, batchSize: 1 }, { provider: 'cpu' })).toThrow(/batch size must be at least 2/);
    expect(resolveConfig({ backbonePath, size: { height: 256, width: 640 } }, { provider: 'cpu' }).size).toEqual({ height: 256, width: 640 });
  });
});
