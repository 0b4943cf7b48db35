// Makes an int8 backbone from a float one and says what it costs and gains, measured on the user's own images:
// calibrate the activation ranges on some of them, write the QDQ model, then on images calibration did not see
// compare its feature maps with the float model's and time both on this machine. What ONNX Runtime made of the file
// is read back from its optimized graph, so "n of m convolutions run on int8 kernels" is a fact, not a hope.
import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { createSession } from '../engine/runtime.js';
import { decodeModel } from '../pipeline/protoGraph.js';
import { modelSizeProblem } from '../ssn/presets.js';
import type { ImageSize } from '../ssn/types.js';
import { Backbone, BackboneError, type FeatureMaps } from './backbone.js';
import { loadNormalizedImage } from './preprocess.js';
import { accumulateRanges, calibrationModel, QuantizeError, quantizeModel, type ActivationRange } from './quantize.js';

/** Fewer images calibrate ranges that the next lot of parts overruns. */
export const MIN_CALIBRATION_IMAGES = 8;
const MAX_CALIBRATION_IMAGES = 32;
const MAX_CHECK_IMAGES = 8;
/** Ops of the optimized graph that work on int8, or convert to and from it. */
const INTEGER_NODE = /^(QLinear\w+|QuantizeLinear|DequantizeLinear)$/;

export interface QuantizeBackboneOptions {
  /** The float ONNX backbone. */
  input: string;
  /** Where the int8 backbone is written (replaced atomically). */
  output: string;
  /** Images of the parts; normal ones are best, defective ones do no harm. */
  images: readonly string[];
  size: ImageSize;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (stage: 'calibrating' | 'checking', done: number, total: number) => void;
}

export interface FeatureAgreement {
  output: string;
  /** ‖int8 − float‖ / ‖float‖ over the check images' maps. */
  relativeError: number;
  /** Mean over check images of the cosine between the int8 and float maps. */
  cosine: number;
}

export interface QuantizeBackboneReport {
  input: string;
  output: string;
  size: ImageSize;
  calibrationImages: number;
  /** Images the agreement and timing are measured on; calibration did not see them unless too few were given. */
  checkImages: number;
  checkImagesHeldOut: boolean;
  convolutions: number;
  /** Convolutions ONNX Runtime runs as QLinearConv on this CPU (the rest are computed in float). */
  integerConvolutions: number;
  /** Nodes ONNX Runtime still runs in float, by op type (conversions into and out of int8 not counted). */
  floatNodes: Record<string, number>;
  floatMegabytes: number;
  int8Megabytes: number;
  agreement: FeatureAgreement[];
  floatMsPerImage: number;
  int8MsPerImage: number;
}

/** Indices of `count` items spread evenly over `n` (the first and the last included). */
function spread(n: number, count: number): number[] {
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.round((i * (n - 1)) / Math.max(1, count - 1)));
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new QuantizeError('quantizing was cancelled');
}

export async function quantizeBackbone(options: QuantizeBackboneOptions): Promise<QuantizeBackboneReport> {
  const { size } = options;
  if (options.images.length < MIN_CALIBRATION_IMAGES) {
    throw new QuantizeError(`quantizing needs at least ${MIN_CALIBRATION_IMAGES} images of the parts to calibrate on (${options.images.length} given); give a folder of them, e.g. the project's normal images`);
  }
  if (path.resolve(options.input) === path.resolve(options.output)) throw new QuantizeError('the int8 backbone must go to another file than the float one; choose another --out');
  const sizeProblem = modelSizeProblem(size);
  if (sizeProblem) throw new QuantizeError(`${sizeProblem}: calibrate at the size the model will be trained at`);
  const folder = path.dirname(path.resolve(options.output));
  if (!(await stat(folder).catch(() => null))?.isDirectory()) throw new QuantizeError(`the folder ${folder} for the int8 backbone does not exist; create it or choose another --out`);
  let float: Backbone;
  try {
    float = await Backbone.load(options.input, { providers: ['cpu'], ...(options.threads ? { threads: options.threads } : {}) });
  } catch (error) {
    if (error instanceof BackboneError) throw new QuantizeError(error.message);
    throw error;
  }
  const { s8Name, s16Name, inputName } = float.info;
  const floatBytes = await readFile(options.input);

  // calibration on up to 32 images spread over the list; the check on others where there are enough
  const all = options.images;
  const calibrationCount = Math.min(MAX_CALIBRATION_IMAGES, all.length - Math.min(MAX_CHECK_IMAGES, Math.floor(all.length / 4)));
  const calibrationIndex = new Set(spread(all.length, calibrationCount));
  const calibrationFiles = [...calibrationIndex].map((i) => all[i]!);
  const rest = all.filter((_, i) => !calibrationIndex.has(i));
  const held = rest.length > 0;
  const checkPool = held ? rest : all;
  const checkFiles = spread(checkPool.length, MAX_CHECK_IMAGES).map((i) => checkPool[i]!);

  const calibration = calibrationModel(floatBytes);
  const ranges = new Map<string, ActivationRange>();
  const fetched = calibration.tensors.filter((t) => t !== inputName);
  const calibrating = (await createSession(calibration.bytes, { providers: ['cpu'], ...(options.threads ? { threads: options.threads } : {}) })).session;
  try {
    for (const [i, file] of calibrationFiles.entries()) {
      throwIfAborted(options.signal);
      const image = await loadNormalizedImage(file, size);
      const results = await calibrating.run({ [inputName]: new ort.Tensor('float32', image, [1, 3, size.height, size.width]) }, fetched);
      accumulateRanges(ranges, calibration.tensors, Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.data as Float32Array])));
      // a graph input is not among the session's outputs: measure it from the image itself
      if (calibration.tensors.includes(inputName)) accumulateRanges(ranges, [inputName], { [inputName]: image });
      options.onProgress?.('calibrating', i + 1, calibrationFiles.length);
    }
  } finally {
    await calibrating.release();
  }
  const quantized = quantizeModel(floatBytes, ranges);
  throwIfAborted(options.signal);

  // written beside its destination and renamed, so a killed run never leaves half a model under the name
  const partial = `${options.output}.partial-${process.pid}`;
  await writeFile(partial, quantized.bytes);
  let int8: Backbone | undefined;
  let released = false;
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'dwb-quantize-'));
  try {
    const optimizedPath = path.join(scratch, 'optimized.onnx');
    await (await createSession(quantized.bytes, { providers: ['cpu'], optimizedModelPath: optimizedPath, threads: 1 })).session.release();
    const optimized = decodeModel(await readFile(optimizedPath));
    const integerConvolutions = (optimized.graph?.node ?? []).filter((n) => n.opType === 'QLinearConv').length;
    const floatNodes: Record<string, number> = {};
    for (const n of optimized.graph?.node ?? []) {
      if (!INTEGER_NODE.test(n.opType ?? '')) floatNodes[n.opType ?? '?'] = (floatNodes[n.opType ?? '?'] ?? 0) + 1;
    }
    int8 = await Backbone.load(partial, { providers: ['cpu'], ...(options.threads ? { threads: options.threads } : {}) });
    await rename(partial, options.output);

    const sums = new Map<string, { diff: number; norm: number; cosine: number }>([[s8Name, { diff: 0, norm: 0, cosine: 0 }], [s16Name, { diff: 0, norm: 0, cosine: 0 }]]);
    const images: Float32Array[] = [];
    for (const file of checkFiles) images.push(await loadNormalizedImage(file, size));
    // one model after the other, each warmed up, not alternating: a backbone's pool threads spin after a run
    // (SessionOptions.spinning) and would slow whichever model ran second
    const timed = async (model: Backbone, stage: number): Promise<{ ms: number; maps: FeatureMaps[] }> => {
      await model.run(images[0]!, 1, size.height, size.width);
      const maps: FeatureMaps[] = [];
      let ms = 0;
      for (const [i, image] of images.entries()) {
        throwIfAborted(options.signal);
        const started = performance.now();
        maps.push(await model.run(image, 1, size.height, size.width));
        ms += performance.now() - started;
        options.onProgress?.('checking', stage * images.length + i + 1, 2 * images.length);
      }
      return { ms, maps };
    };
    const reference = await timed(float, 0);
    await float.release();
    released = true;
    const candidate = await timed(int8, 1);
    const floatMs = reference.ms;
    const int8Ms = candidate.ms;
    for (const [k, a] of reference.maps.entries()) {
      const b = candidate.maps[k]!;
      for (const [name, x, y] of [[s8Name, a.s8, b.s8], [s16Name, a.s16, b.s16]] as const) {
        let diff = 0;
        let norm = 0;
        let dot = 0;
        let normY = 0;
        for (let j = 0; j < x.length; j++) {
          diff += (x[j]! - y[j]!) ** 2;
          norm += x[j]! ** 2;
          dot += x[j]! * y[j]!;
          normY += y[j]! ** 2;
        }
        const s = sums.get(name)!;
        s.diff += diff;
        s.norm += norm;
        s.cosine += norm > 0 && normY > 0 ? dot / Math.sqrt(norm * normY) : 1;
      }
    }
    return {
      input: path.resolve(options.input),
      output: path.resolve(options.output),
      size,
      calibrationImages: calibrationFiles.length,
      checkImages: images.length,
      checkImagesHeldOut: held,
      convolutions: quantized.summary.convolutions,
      integerConvolutions,
      floatNodes,
      floatMegabytes: quantized.summary.floatBytes / 1e6,
      int8Megabytes: quantized.summary.int8Bytes / 1e6,
      agreement: [...sums].map(([output, s]) => ({ output, relativeError: Math.sqrt(s.diff / s.norm), cosine: s.cosine / images.length })),
      floatMsPerImage: floatMs / images.length,
      int8MsPerImage: int8Ms / images.length,
    };
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  } finally {
    await Promise.all([released ? undefined : float.release(), int8?.release()]);
    await rm(scratch, { recursive: true, force: true });
  }
}
