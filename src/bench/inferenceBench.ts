// `npm run bench -- inference`: where one image's inference time goes, per shared backbone, at the fast preset's
// 256² (or the size asked for with --size): decoding + resizing + normalisation, the backbone (one image at a time as
// the line runs it, and per image in batches of PREDICT_BATCH as evaluation runs it), and the map post-processing.
// The backbone's arithmetic — the multiply-adds of its convolutions, counted from the graph at this size — is set
// against the FMA peak read beside each timed run, so the figure says how far the hardware is from doing better.
// Then the fast preset's deployable heads for that backbone (adaptor, segmentation and classification heads on its
// maps, and the normal images' parts: densities and patch memory; timed at placeholder values, which their cost does
// not depend on), and the map post-processing: together what `dwb predict` runs.
// Each backbone is timed again as the int8 copy `dwb quantize` makes of it.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { Backbone } from '../main/ml/backbone/backbone.js';
import { loadNormalizedImage } from '../main/ml/backbone/preprocess.js';
import { quantizeBackbone } from '../main/ml/backbone/quantizeBackbone.js';
import { compileInference } from '../main/ml/engine/compile.js';
import { initialValue } from '../main/ml/engine/init.js';
import { trace } from '../main/ml/engine/model.js';
import { createSession } from '../main/ml/engine/runtime.js';
import { decodeModel, encodeModel, exposeAsOutputs } from '../main/ml/pipeline/protoGraph.js';
import { cachedScoringModel, deployableModel, featureGeometry } from '../main/ml/ssn/model.js';
import { MapFinisher } from '../main/ml/ssn/postprocess.js';
import { PREDICT_BATCH } from '../main/ml/ssn/predictor.js';
import { PRESETS, resolveConfig } from '../main/ml/ssn/presets.js';
import { MEMORY_MAX_SIZE } from '../main/ml/ssn/patchMemory.js';
import { orthogonalProjection } from '../main/ml/ssn/projection.js';
import type { ImageSize } from '../main/ml/ssn/types.js';
import { seededRandom } from '../main/util/random.js';
import { fmaPeakProbe, measureFmaPeak, median, timedAgainstPeak } from './engineBench.js';

export interface InferenceBenchOptions {
  models: string;
  datasets: string;
  /** Timed runs per figure (median reported). */
  runs: number;
  /** The model size timed (default: the fast preset's 256²), to price a project's `--size` before training at it. */
  size?: ImageSize;
}

export interface BackboneInference {
  backbone: string;
  /** 2 × the multiply-adds of every convolution for one image at the model size. */
  gflopPerImage: number;
  decodeMs: number;
  singleMs: number;
  batchedMsPerImage: number;
  /** Share of the FMA peak the backbone reaches, single and batched (median over runs). */
  singlePeakShare: number | null;
  batchedPeakShare: number | null;
  /** The fast preset's heads on one image's backbone maps. */
  headsMs: number;
  postprocessMs: number;
  /** Decoding the same images stored at the model's size (a PNG of that size). */
  decodeAtSizeMs: number;
  /** decode of a PNG at the model's size + backbone + heads + post-processing, one image at a time. */
  singleTotalAtSizeMs: number;
  /** decode + backbone + heads + post-processing, one image at a time / with the backbone batched. */
  singleTotalMs: number;
  batchedTotalMs: number;
}

export interface InferenceBenchResult {
  size: { height: number; width: number };
  peak: { gflops: number; isa: string; threads: number } | { error: string };
  images: string;
  backbones: BackboneInference[];
}

/** Multiply-adds of every Conv for one image of `size`: output shapes read by running the graph with them as outputs. */
export async function convMultiplyAdds(file: string, size: { height: number; width: number }): Promise<number> {
  const model = decodeModel(new Uint8Array(await readFile(file)));
  const graph = model.graph!;
  const weights = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', (t.dims ?? []).map(Number)]));
  const convs = (graph.node ?? [])
    .filter((n) => n.opType === 'Conv' && weights.has(n.input?.[1] ?? ''))
    .map((n) => ({ weight: n.input![1]!, output: n.output![0]! }));
  exposeAsOutputs(model, convs.map((c) => c.output));
  const session = await ort.InferenceSession.create(encodeModel(model), { graphOptimizationLevel: 'disabled' });
  try {
    const input = session.inputNames[0]!;
    const out = await session.run({ [input]: new ort.Tensor('float32', new Float32Array(3 * size.height * size.width), [1, 3, size.height, size.width]) });
    let macs = 0;
    for (const conv of convs) {
      const [m, cPerGroup, kh, kw] = weights.get(conv.weight)!;
      const dims = out[conv.output]!.dims;
      macs += dims[0]! * m! * dims[2]! * dims[3]! * cPerGroup! * kh! * kw!;
    }
    return macs;
  } finally {
    await session.release();
  }
}

/**
 * The fast preset's deployable heads for this backbone, at their initial values, with the normal images' parts — the
 * image density, the regional density and the patch memory with its bank at its largest (MEMORY_MAX_SIZE windows) —
 * as placeholders of their trained sizes: what they cost does not depend on their values.
 */
async function fastHeads(backbone: Backbone, size: ImageSize) {
  const { s8Channels, s16Channels, path: backbonePath } = backbone.info;
  const config = resolveConfig({ backbonePath, preset: 'fast', size }, { provider: 'cpu', pooledChannels: s8Channels + s16Channels });
  const geometry = featureGeometry(config, s8Channels, s16Channels);
  const projection = orthogonalProjection(geometry.pooledChannels, geometry.channels);
  const identity = (n: number) => Float32Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
  const fitted = { normalDistance: { mean: 0, std: 1 }, shrinkage: 0, images: 0 };
  const density = { ...fitted, mean: new Float32Array(geometry.pooledChannels), whitening: identity(geometry.pooledChannels) };
  const regional = { ...fitted, window: config.regionalWindow!, mean: new Float32Array(geometry.channels), whitening: identity(geometry.channels) };
  const random = seededRandom(1);
  const bank = Float32Array.from({ length: MEMORY_MAX_SIZE * geometry.channels }, () => random() - 0.5);
  const memory = { ...fitted, window: config.memoryWindow!, bank, centre: new Float32Array(geometry.channels), size: MEMORY_MAX_SIZE };
  const plan = { config, geometry, featureScale: 1, supervised: false, batch: 1, projection, density, regional, memory };
  // the parameters the heads declare, from a forward trace of the validation model (no gradients compiled)
  const { m } = trace(cachedScoringModel(plan, 1), 'eval', 'float32');
  const specs = [...m.params.values(), ...m.buffers.values()].map((entry) => entry.spec);
  const values = new Map(specs.map((p) => [p.name, initialValue(p.init, p.shape, 'float32', 0, p.name)]));
  return (await createSession(compileInference(deployableModel(plan), values).bytes, { providers: ['cpu'] })).session;
}

export async function benchInference(options: InferenceBenchOptions, log: (s: string) => void): Promise<InferenceBenchResult> {
  const size = options.size ?? PRESETS.fast.size;
  const { height, width } = size;
  const imageDir = path.join(options.datasets, 'mvtec_bottle', 'test', 'good');
  const files = (await readdir(imageDir)).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort().slice(0, PREDICT_BATCH).map((f) => path.join(imageDir, f));
  if (files.length < PREDICT_BATCH) throw new Error(`the inference bench needs ${PREDICT_BATCH} images in ${imageDir}`);
  const peakReading = await measureFmaPeak(log);
  const peak = fmaPeakProbe(log);
  const backbones = (await readdir(options.models)).filter((f) => f.endsWith('.onnx')).sort();
  const result: InferenceBenchResult = {
    size,
    peak: 'gflops' in peakReading ? { gflops: peakReading.gflops, isa: peakReading.isa, threads: peakReading.threads } : peakReading,
    images: `${files.length} mvtec_bottle test images (900² PNG)`,
    backbones: [],
  };
  const plane = 3 * height * width;
  const trainDir = path.join(options.datasets, 'mvtec_bottle', 'train', 'good');
  const calibration = (await readdir(trainDir)).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort().slice(0, 40).map((f) => path.join(trainDir, f));
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'dwb-bench-int8-'));
  const finisher = await MapFinisher.create({ ...PRESETS.fast, size, backbonePath: '', seed: 0, mapScoreWeight: 1 }, height / 8, width / 8);
  try {
    const logits = new Float32Array((height / 8) * (width / 8)).fill(0.1);
    await finisher.finish(0.5, logits);
    const post = await timedAgainstPeak(options.runs * 4, () => finisher.finish(0.5, logits));
    const decode = await timedAgainstPeak(options.runs, () => Promise.all(files.map((f) => loadNormalizedImage(f, size))));
    const decodeMs = median(decode.times) / files.length;
    // the same images stored at the model's size, as a camera cropped to the part would give them
    const small = await Promise.all(files.map(async (f, k) => {
      const out = path.join(scratch, `small-${k}.png`);
      await sharp(f).resize(width, height).png().toFile(out);
      return out;
    }));
    const decodeSmall = await timedAgainstPeak(options.runs, () => Promise.all(small.map((f) => loadNormalizedImage(f, size))));
    const decodeAtSizeMs = median(decodeSmall.times) / small.length;
    const postprocessMs = median(post.times);
    const timeBackbone = async (name: string, file: string, countFrom: string): Promise<void> => {
      log(`${name}: counting multiply-adds, timing…\n`);
      const gflop = (2 * (await convMultiplyAdds(countFrom, size))) / 1e9;
      const backbone = await Backbone.load(file, { providers: ['cpu'] });
      try {
        const one = await loadNormalizedImage(files[0]!, size);
        const batch = new Float32Array(files.length * plane);
        await Promise.all(files.map((f, k) => loadNormalizedImage(f, size, batch, k * plane)));
        await backbone.run(one, 1, height, width);
        await backbone.run(batch, files.length, height, width);
        const single = await timedAgainstPeak(options.runs, () => backbone.run(one, 1, height, width), peak);
        const batched = await timedAgainstPeak(options.runs, () => backbone.run(batch, files.length, height, width), peak);
        const singleMs = median(single.times);
        const batchedMsPerImage = median(batched.times) / files.length;
        const maps = await backbone.run(one, 1, height, width);
        const heads = await fastHeads(backbone, size);
        const feeds = { s8: new ort.Tensor('float32', maps.s8, maps.s8Shape), s16: new ort.Tensor('float32', maps.s16, maps.s16Shape) };
        await heads.run(feeds);
        const headsMs = median((await timedAgainstPeak(options.runs * 4, () => heads.run(feeds))).times);
        await heads.release();
        const row: BackboneInference = {
          backbone: name,
          gflopPerImage: gflop,
          decodeMs,
          singleMs,
          batchedMsPerImage,
          singlePeakShare: single.ratios.length ? median(single.ratios) * gflop : null,
          batchedPeakShare: batched.ratios.length ? median(batched.ratios) * gflop * files.length : null,
          headsMs,
          postprocessMs,
          singleTotalMs: decodeMs + singleMs + headsMs + postprocessMs,
          decodeAtSizeMs,
          singleTotalAtSizeMs: decodeAtSizeMs + singleMs + headsMs + postprocessMs,
          batchedTotalMs: decodeMs + batchedMsPerImage + headsMs + postprocessMs,
        };
        result.backbones.push(row);
        log(
          `${name}: ${gflop.toFixed(2)} GFLOP/image; backbone ${singleMs.toFixed(1)} ms alone, ${batchedMsPerImage.toFixed(1)} ms/image in batches of ${files.length}` +
            `${row.batchedPeakShare === null ? '' : ` (${(100 * row.singlePeakShare!).toFixed(0)}% / ${(100 * row.batchedPeakShare).toFixed(0)}% of the FMA peak)`}; heads ${headsMs.toFixed(1)} ms\n`,
        );
      } finally {
        await backbone.release();
      }
    };
    for (const name of backbones) {
      const file = path.join(options.models, name);
      await timeBackbone(name, file, file);
      // its int8 copy, calibrated on bottle training images (the timed images are test images); its share of the
      // float32 FMA peak is of the same arithmetic, so above 100 % means the integer kernels beat float's ceiling
      const int8 = path.join(scratch, name.replace(/\.onnx$/, '-int8.onnx'));
      await quantizeBackbone({ input: file, output: int8, images: calibration, size });
      await timeBackbone(`${name} int8`, int8, file);
    }
  } finally {
    await finisher.release();
    await rm(scratch, { recursive: true, force: true });
  }
  return result;
}
