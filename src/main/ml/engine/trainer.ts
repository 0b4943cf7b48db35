// Runs compiled training artifacts: holds the parameters, buffers and optimizer state, feeds them with a batch to
// the train-step session, and takes their next values back. Where they live between steps depends on the provider:
// - on the CPU, in two sets of pre-allocated host tensors that alternate (one is fed while the other is written), so
//   a step allocates nothing for them;
// - on WebGPU, in the provider's memory: the step's outputs stay there (IO binding, ONNX Runtime's 'gpu-buffer'
//   location, which onnxruntime-node 1.30 has for WebGPU) and are fed back as the next step's inputs, so a step
//   moves only its batch and its losses between host and device instead of every parameter and optimizer moment
//   both ways (the paper preset: 8.9 M parameters, with AdamW's two moments ≈ 107 MB each way per step). They are
//   downloaded only when asked for (values, checkpoint). With CUDA or DirectML (untested with them) they come back
//   to the host each step, as on the CPU.
import ort from 'onnxruntime-node';
import { floatArray, type FloatArray } from './dtype.js';
import type { Checkpoint } from './checkpoint.js';
import { checkpointTensors, restoreSlots } from './checkpointState.js';
import { out, type TrainingArtifacts } from './compile.js';
import { initialValue } from './init.js';
import { lrInputName, STEP_INPUT } from './optim.js';
import { createSession, type ExecutionProvider, type ProviderAttempt, type RuntimeSession, type SessionOptions } from './runtime.js';
import { sizeOf } from './shape.js';

export interface StepResult {
  loss: number;
  terms: Record<string, number>;
  gradNorm: number;
}

type Batch = Record<string, FloatArray>;

interface Slot {
  /** Name of the graph input that carries it. */
  input: string;
  /** Name of the train-step output with its next value (absent for tensors the step leaves alone). */
  output?: string;
  shape: readonly number[];
  /** The value fed to the next step (a host tensor, or on the device the previous step's output). */
  value: ort.Tensor;
  /** Host mode: the pre-allocated tensor the next step writes into. null on the device. */
  spare: ort.Tensor | null;
}

export interface TrainerOptions extends SessionOptions {
  seed?: number;
  checkpoint?: Checkpoint;
  /** Keep the state in the provider's memory on the CPU too (the GPU path's code, for tests): see the header. */
  stateOnDeviceOnCpu?: boolean;
}

export class Trainer {
  private stepCount: number;
  private readonly slots = new Map<string, Slot>();

  private constructor(
    readonly artifacts: TrainingArtifacts,
    private readonly train: RuntimeSession,
    private evalSession: RuntimeSession | null,
    private readonly sessionOptions: SessionOptions,
    start: Checkpoint | { seed: number },
  ) {
    const dtype = artifacts.dtype;
    const tensor = (values: FloatArray, shape: readonly number[]) => new ort.Tensor(dtype, values, shape);
    const stored = 'tensors' in start ? restoreSlots(artifacts, start) : null;
    const valueOf = (name: string, _shape: readonly number[], init: () => FloatArray): FloatArray => {
      const v = stored?.get(name);
      return v ? copyAs(dtype, v) : init();
    };
    const seed = 'seed' in start ? start.seed : 0;
    const add = (name: string, input: string, output: string | undefined, shape: readonly number[], init: () => FloatArray) => {
      const first = valueOf(name, shape, init);
      const spare = output && !train.outputsOnDevice ? tensor(floatArray(dtype, first.length), shape) : null;
      this.slots.set(name, { input, output, shape, value: tensor(first, shape), spare });
    };
    for (const p of artifacts.params) add(p.name, `param/${p.name}`, out.param(p.name), p.shape, () => initialValue(p.init, p.shape, dtype, seed, p.name));
    for (const b of artifacts.buffers) add(b.name, `buffer/${b.name}`, out.buffer(b.name), b.shape, () => initialValue(b.init, b.shape, dtype, seed, b.name));
    for (const s of artifacts.state) add(s.name, s.name, out.state(s.name), s.shape, () => floatArray(dtype, sizeOf(s.shape)));
    this.stepCount = 'step' in start ? start.step : 0;
  }

  /**
   * A trainer starting from `seed`'s initial values, or from a checkpoint of the same model: its tensors are matched
   * by name and shape (a CheckpointError names any that do not fit), not by the graph's bytes.
   */
  static async create(artifacts: TrainingArtifacts, options: TrainerOptions = {}): Promise<Trainer> {
    if (options.checkpoint) restoreSlots(artifacts, options.checkpoint); // fail before the session is built
    const { seed, checkpoint, stateOnDeviceOnCpu, ...sessionOptions } = options;
    const names = [...artifacts.params.map((p) => out.param(p.name)), ...artifacts.buffers.map((b) => out.buffer(b.name)), ...artifacts.state.map((st) => out.state(st.name))];
    const produced = new Set(artifacts.trainStep.outputs.map((o) => o.name));
    const train = await createSession(artifacts.trainStep.bytes, {
      ...sessionOptions,
      deviceOutputs: { names: names.filter((n) => produced.has(n)), onCpu: stateOnDeviceOnCpu === true },
    });
    return new Trainer(artifacts, train, null, sessionOptions, checkpoint ?? { seed: seed ?? 0 });
  }

  /** The parameters, buffers and optimizer state stay in the provider's memory between steps (see the header). */
  get stateOnDevice(): boolean {
    return this.train.outputsOnDevice;
  }

  get provider(): ExecutionProvider {
    return this.train.provider;
  }

  /** What happened to each execution provider tried before one ran. */
  get attempts(): ProviderAttempt[] {
    return this.train.attempts;
  }

  get step(): number {
    return this.stepCount;
  }

  /** One optimizer step on a batch; `lr` gives each parameter group's learning rate for this step. */
  async trainStep(batch: Batch, lr: Record<string, number> | number): Promise<StepResult> {
    const dtype = this.artifacts.dtype;
    const scalarTensor = (v: number) => new ort.Tensor(dtype, dtype === 'float64' ? Float64Array.of(v) : Float32Array.of(v), []);
    const feeds: Record<string, ort.Tensor> = {};
    for (const info of this.artifacts.trainStep.inputs) {
      if (info.name in batch) feeds[info.name] = new ort.Tensor(info.dtype as 'float32', batch[info.name]!, info.shape);
    }
    const fetches: Record<string, ort.Tensor | null> = { [out.loss]: null, [out.gradNorm]: null };
    for (const term of this.artifacts.lossTerms) fetches[out.term(term)] = null;
    for (const slot of this.slots.values()) {
      feeds[slot.input] = slot.value;
      // null: ONNX Runtime allocates it where the session prefers (on the device for the state)
      if (slot.output) fetches[slot.output] = slot.spare;
    }
    feeds[STEP_INPUT] = scalarTensor(this.stepCount + 1);
    const groups = new Set(this.artifacts.params.map((p) => p.group));
    for (const group of groups) {
      const rate = typeof lr === 'number' ? lr : lr[group];
      if (rate === undefined) throw new Error(`no learning rate given for parameter group "${group}"`);
      feeds[lrInputName(group)] = scalarTensor(rate);
    }
    for (const info of this.artifacts.trainStep.inputs) {
      if (!(info.name in feeds)) throw new Error(`the batch has no "${info.name}" (shape [${info.shape.join(', ')}])`);
    }
    // ort accepts pre-allocated output tensors in the fetches object; null entries are allocated by ort
    const results = await this.train.session.run(feeds, fetches as unknown as ort.InferenceSession.FetchesType);
    for (const slot of this.slots.values()) {
      if (!slot.output) continue;
      const fed = slot.value;
      if (slot.spare) {
        slot.value = slot.spare;
        slot.spare = fed;
      } else {
        slot.value = results[slot.output]!;
        fed.dispose(); // the device memory of the previous step's value
      }
    }
    this.stepCount++;
    const scalar = (name: string) => Number((results[name]!.data as FloatArray)[0]);
    return {
      loss: scalar(out.loss),
      terms: Object.fromEntries(this.artifacts.lossTerms.map((t) => [t, scalar(out.term(t))])),
      gradNorm: scalar(out.gradNorm),
    };
  }

  /** Losses and outputs of the eval graph (running statistics, no update) on a batch. */
  async evaluate(batch: Batch): Promise<Record<string, FloatArray>> {
    this.evalSession ??= await createSession(this.artifacts.eval.bytes, { ...this.sessionOptions, providers: [this.train.provider] });
    const feeds: Record<string, ort.Tensor> = {};
    for (const info of this.artifacts.eval.inputs) {
      const slot = info.name.startsWith('param/') || info.name.startsWith('buffer/') ? this.slots.get(info.name.slice(info.name.indexOf('/') + 1)) : undefined;
      // host copies: a tensor in one session's device memory is not another session's to bind
      if (slot) feeds[info.name] = slot.spare ? slot.value : new ort.Tensor(this.artifacts.dtype, await this.hostValue(slot), slot.shape);
      else if (info.name === STEP_INPUT) feeds[info.name] = new ort.Tensor(info.dtype as 'float32', info.dtype === 'float64' ? Float64Array.of(this.stepCount) : Float32Array.of(this.stepCount), []);
      else if (info.name in batch) feeds[info.name] = new ort.Tensor(info.dtype as 'float32', batch[info.name]!, info.shape);
      else throw new Error(`the batch has no "${info.name}" (shape [${info.shape.join(', ')}])`);
    }
    const results = await this.evalSession.session.run(feeds);
    return Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.data as FloatArray]));
  }

  /** Current values of parameters and buffers (copies), by name. */
  async values(): Promise<Map<string, FloatArray>> {
    const names = [...this.artifacts.params.map((p) => p.name), ...this.artifacts.buffers.map((b) => b.name)];
    const values = new Map<string, FloatArray>();
    for (const name of names) values.set(name, await this.hostValue(this.slots.get(name)!));
    return values;
  }

  /** Every parameter, buffer and optimizer moment (per parameter) by name and shape, with the step: see checkpointState.ts. */
  async checkpoint(config: unknown = null): Promise<Checkpoint> {
    const host = new Map<string, FloatArray>();
    for (const [name, slot] of this.slots) host.set(name, await this.hostValue(slot));
    const { tensors, shapes } = checkpointTensors(this.artifacts, (name) => host.get(name)!);
    return { step: this.stepCount, graphHash: this.artifacts.trainStep.hash, config, tensors, shapes };
  }

  /** A host copy of a slot's current value (downloaded from the device when it lives there). */
  private async hostValue(slot: Slot): Promise<FloatArray> {
    const data = slot.value.location === 'cpu' ? slot.value.data : await slot.value.getData();
    return copyAs(this.artifacts.dtype, data as FloatArray);
  }

  async release(): Promise<void> {
    if (this.train.outputsOnDevice) for (const slot of this.slots.values()) if (slot.output) slot.value.dispose();
    await this.train.session.release();
    await this.evalSession?.session.release();
  }
}

function copyAs(dtype: 'float32' | 'float64', values: FloatArray): FloatArray {
  return dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
}
