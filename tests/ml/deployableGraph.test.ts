// The deployable graph folds the feature stage into the adaptor (projection, scale and adaptor as one matrix run on
// each backbone map before its resize, the bias after the pooling). It must compute what the unfolded model does —
// pool, project, scale, adaptor, heads — for both presets' layouts: checked on random trained values and random
// backbone maps in ONNX Runtime.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compileInference } from '../../src/main/ml/engine/compile.js';
import type { ModelDefinition } from '../../src/main/ml/engine/model.js';
import * as op from '../../src/main/ml/engine/ops.js';
import { createSession } from '../../src/main/ml/engine/runtime.js';
import { cachedScoringModel, deployableModel, featureGeometry, heads, poolFeatures, project, type ModelPlan } from '../../src/main/ml/ssn/model.js';
import { densityDistance, densityProbability, fitImageDensity } from '../../src/main/ml/ssn/density.js';
import { FeatureStage } from '../../src/main/ml/ssn/features.js';
import { orthogonalProjection } from '../../src/main/ml/ssn/projection.js';
import { fitPatchMemory } from '../../src/main/ml/ssn/patchMemory.js';
import { fitRegionalDensity } from '../../src/main/ml/ssn/regionalDensity.js';
import { resolveConfig } from '../../src/main/ml/ssn/presets.js';
import { compileRun } from '../../src/main/ml/ssn/train.js';
import type { TrainingConfig } from '../../src/main/ml/ssn/types.js';
import { seededRandom } from '../../src/main/util/random.js';

/** The model as trained: pooled features, projection, scale, then heads() with its own adaptor (score or raw logit). */
function unfoldedModel(plan: ModelPlan, score: 'probability' | 'logit' = 'probability'): ModelDefinition {
  const g = plan.geometry;
  return {
    name: 'unfolded',
    inputs: [
      { name: 's8', shape: [1, ...g.s8] },
      { name: 's16', shape: [1, ...g.s16] },
    ],
    forward(m, inputs) {
      let x = poolFeatures(inputs.s8!, inputs.s16!, g);
      if (plan.projection) x = project(m, x, plan.projection, g.channels);
      const out = heads(m, op.mul(x, plan.featureScale), plan);
      return { outputs: { score: op.reshape(score === 'logit' ? out.logit : op.sigmoid(out.logit), [1]), map: out.map } };
    },
  };
}

function planFor(partial: Partial<TrainingConfig>): ModelPlan {
  const config = resolveConfig({ backbonePath: 'x', size: { height: 64, width: 96 }, segHidden: 12, clsHidden: 3, ...partial }, { provider: 'cpu' });
  const geometry = featureGeometry(config, 16, 24);
  const projection = config.projectedChannels ? orthogonalProjection(geometry.pooledChannels, config.projectedChannels) : null;
  return { config, geometry, featureScale: 0.37, supervised: false, batch: 2, projection };
}

/** Random values for every parameter and buffer, none of them at its usual initial value (biases and means ≠ 0). */
function randomValues(plan: ModelPlan): Map<string, Float32Array> {
  const artifacts = compileRun(plan);
  const random = seededRandom(11);
  const values = new Map<string, Float32Array>();
  for (const spec of [...artifacts.params, ...artifacts.buffers]) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const positive = spec.name.endsWith('running_var');
    values.set(spec.name, Float32Array.from({ length: size }, () => (positive ? 0.5 + random() : random() - 0.5)));
  }
  return values;
}

/** Random backbone maps of one image (values in [0, 4)). */
function randomMaps(plan: ModelPlan, seed: number) {
  const random = seededRandom(seed);
  const map = (shape: readonly number[]) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 4 * random());
  return { s8: map(plan.geometry.s8), s16: map(plan.geometry.s16) };
}

async function outputs(model: ModelDefinition, values: Map<string, Float32Array>, plan: ModelPlan) {
  const { session } = await createSession(compileInference(model, values).bytes, { providers: ['cpu'], threads: 1 });
  const maps = randomMaps(plan, 3);
  const out = await session.run({ s8: new ort.Tensor('float32', maps.s8, [1, ...plan.geometry.s8]), s16: new ort.Tensor('float32', maps.s16, [1, ...plan.geometry.s16]) });
  await session.release();
  return { score: (out.score!.data as Float32Array)[0]!, map: out.map!.data as Float32Array, dims: out.map!.dims };
}

/** The mean feature of backbone maps: each channel averaged over its positions, stride 8's channels first. */
function meanOf(plan: ModelPlan, maps: { s8: Float32Array; s16: Float32Array }): Float32Array {
  const channels = (data: Float32Array, [c, h, w]: readonly number[]) =>
    Array.from({ length: c! }, (_, k) => data.subarray(k * h! * w!, (k + 1) * h! * w!).reduce((a, b) => a + b, 0) / (h! * w!));
  return Float32Array.from([...channels(maps.s8, plan.geometry.s8), ...channels(maps.s16, plan.geometry.s16)]);
}

describe('the deployable graph', () => {
  it.each([
    ['fast: stride 8, projection to 10 of 40 channels', { preset: 'fast' as const, projectedChannels: 10 }],
    ['paper: stride 4, no projection', { preset: 'paper' as const }],
    ['fast with the logit started from the map', { preset: 'fast' as const, projectedChannels: 10, clsMapMaxLogit: 1 }],
  ])('computes the unfolded model (%s)', async (_, partial) => {
    const plan = planFor(partial);
    const values = randomValues(plan);
    const folded = await outputs(deployableModel(plan), values, plan);
    const reference = await outputs(unfoldedModel(plan), values, plan);
    expect(folded.dims).toEqual(reference.dims);
    expect(folded.dims).toEqual([1, 1, plan.geometry.height, plan.geometry.width]);
    const spread = Math.max(...reference.map) - Math.min(...reference.map);
    expect(spread).toBeGreaterThan(0.1); // a map that varies, so the comparison below can see a misplaced term
    const worst = Math.max(...reference.map.map((v, i) => Math.abs(v - folded.map[i]!)));
    expect(worst).toBeLessThan(1e-4 * spread);
    expect(Math.abs(folded.score - reference.score)).toBeLessThan(1e-5);
  });

  it("blends the density's probability into the heads' score in the shares the config gives, the map left as it is", async () => {
    const plan = planFor({ preset: 'fast', projectedChannels: 10, mapScoreWeight: 0.25, densityScoreWeight: 0.5 });
    const density = fitImageDensity(Array.from({ length: 20 }, (_, i) => meanOf(plan, randomMaps(plan, 100 + i))));
    const values = randomValues(plan);
    const blended = await outputs(deployableModel({ ...plan, density }), values, plan);
    const heads = await outputs(unfoldedModel(plan), values, plan);
    const p = densityProbability(density, densityDistance(density, meanOf(plan, randomMaps(plan, 3))));
    expect(Math.abs(p - heads.score)).toBeGreaterThan(0.05); // a blend the comparison below can tell from either part
    // final = 0.25·cls + 0.25·map + 0.5·density: the heads give (0.25·cls + 0.5·density) / 0.75, the post-processing the rest
    expect(blended.score).toBeCloseTo((0.25 * heads.score + 0.5 * p) / 0.75, 5);
    const without = await outputs(deployableModel({ ...plan, density: null }), values, plan);
    expect(without.score).toBeCloseTo(heads.score, 5);
    expect(blended.map).toEqual(without.map);
  });

  it('scores from cached maps and their mean feature as the deployable graph does from the maps alone (validation)', async () => {
    const plan = planFor({ preset: 'paper', mapScoreWeight: 0.25, densityScoreWeight: 0.5 });
    const density = fitImageDensity(Array.from({ length: 20 }, (_, i) => meanOf(plan, randomMaps(plan, 200 + i))));
    const values = randomValues(plan);
    const deployed = await outputs(deployableModel({ ...plan, density }), values, plan);
    const maps = randomMaps(plan, 3);
    const { session } = await createSession(compileInference(cachedScoringModel({ ...plan, density }, 1), values).bytes, { providers: ['cpu'], threads: 1 });
    const feature = meanOf(plan, maps);
    const out = await session.run({
      s8: new ort.Tensor('float32', maps.s8, [1, ...plan.geometry.s8]),
      s16: new ort.Tensor('float32', maps.s16, [1, ...plan.geometry.s16]),
      meanFeature: new ort.Tensor('float32', feature, [1, feature.length]),
    });
    await session.release();
    expect((out.score!.data as Float32Array)[0]).toBeCloseTo(deployed.score, 5);
  });

  it("blends the regional density and the patch memory into the map from the maps alone as validation does from the cached features", async () => {
    const plan = planFor({ preset: 'fast', projectedChannels: 10, regionalMapWeight: 0.3, regionalWindow: 4, memoryMapWeight: 0.3, memoryWindow: 2 });
    const g = plan.geometry;
    // the cached features as the feature stage writes them: pooled, projected, not yet scaled
    const stage = await FeatureStage.create(g, plan.projection, 1);
    const features = async (seed: number) => {
      const maps = randomMaps(plan, seed);
      return (await stage.run(maps.s8, maps.s16)).tensors.features!;
    };
    const normal = await Promise.all(Array.from({ length: 12 }, (_, i) => features(300 + i)));
    const cached = await features(3);
    await stage.release();
    const regional = await fitRegionalDensity(normal, [g.channels, g.height, g.width], 4, { threads: 1 });
    const memory = await fitPatchMemory(normal, [g.channels, g.height, g.width], 2, { threads: 1 });
    const values = randomValues(plan);
    const deployed = await outputs(deployableModel({ ...plan, regional, memory }), values, plan);
    const heads = await outputs(deployableModel({ ...plan, regional: null, memory: null }), values, plan);
    const withoutMemory = await outputs(deployableModel({ ...plan, regional, memory: null }), values, plan);
    const { session } = await createSession(compileInference(cachedScoringModel({ ...plan, regional, memory }, 1), values).bytes, { providers: ['cpu'], threads: 1 });
    const out = await session.run({ features: new ort.Tensor('float32', cached, [1, g.channels, g.height, g.width]) });
    await session.release();
    const validated = out.map!.data as Float32Array;
    const moved = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    // each part changes the map, so the comparison below can see a wrong window or projection in either
    expect(moved(deployed.map, heads.map)).toBeGreaterThan(0.1);
    expect(moved(deployed.map, withoutMemory.map)).toBeGreaterThan(0.1);
    expect(Math.max(...deployed.map.map((v, i) => Math.abs(v - validated[i]!)))).toBeLessThan(1e-4);
    expect(deployed.score).toBeCloseTo(heads.score, 6); // the heads' score is the post-processing's to blend with the map
  });

  it("adds clsMapMaxLogit × the map's largest logit to the classification logit, and nothing when it is absent", async () => {
    const plain = planFor({ preset: 'fast', projectedChannels: 10, clsMapMaxLogit: 0 });
    const values = randomValues(plain);
    const logits = (plan: ModelPlan) => outputs(unfoldedModel(plan, 'logit'), values, plan);
    const without = await logits(plain);
    const absent = await logits({ ...plain, config: { ...plain.config, clsMapMaxLogit: undefined } });
    const started = await logits({ ...plain, config: { ...plain.config, clsMapMaxLogit: 8 } });
    expect(absent.score).toBe(without.score);
    expect(started.map).toEqual(without.map);
    const mapMax = Math.max(...without.map);
    expect(Math.abs(8 * mapMax)).toBeGreaterThan(0.1); // a term the comparison below can see
    expect(started.score - without.score).toBeCloseTo(8 * mapMax, 4);
  });
});
