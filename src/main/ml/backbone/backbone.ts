// A frozen ONNX feature extractor: checked once when loaded (is it ONNX, does it take an NCHW float image, does it
// give a stride-8 and a stride-16 map), then run on batches of normalized images. The strides are not trusted from
// output names: a probe image is run and each output's stride is its spatial size against the probe's.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import ort from 'onnxruntime-node';
import { explainFault, WorkbenchError } from '../../../shared/errors.js';
import { createSession, NoProviderError, type ExecutionProvider, type ProviderAttempt } from '../engine/runtime.js';

/** The backbone file cannot serve as a feature extractor; the message says what is wrong and what to do. */
export class BackboneError extends WorkbenchError {
  override readonly name = 'BackboneError';
  constructor(message: string) {
    super('backbone-invalid', message);
  }
}

/** Square side of the probe image; a multiple of 32 so every stride divides it. */
const PROBE = 128;

export interface FeatureMaps {
  /** [N, c8, H/8, W/8] */
  s8: Float32Array;
  /** [N, c16, H/16, W/16] */
  s16: Float32Array;
  s8Shape: [number, number, number, number];
  s16Shape: [number, number, number, number];
}

export interface BackboneInfo {
  path: string;
  sha256: string;
  inputName: string;
  s8Name: string;
  s16Name: string;
  s8Channels: number;
  s16Channels: number;
}

export class Backbone {
  private constructor(
    readonly info: BackboneInfo,
    private readonly session: ort.InferenceSession,
    readonly provider: ExecutionProvider,
    readonly attempts: ProviderAttempt[],
  ) {}

  /** Loads and validates an ONNX feature extractor; a BackboneError says what is wrong and what to do. */
  static async load(file: string, options: { providers?: readonly ExecutionProvider[]; threads?: number } = {}): Promise<Backbone> {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      const fault = explainFault(error, { path: file });
      throw new BackboneError(`cannot read the backbone: ${fault?.message ?? `${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`}`);
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    let runtime;
    try {
      // the backbone is the pipeline's long run: its pool spins (see SessionOptions.spinning), the short ones sleep
      runtime = await createSession(bytes, { ...options, spinning: true });
    } catch (error) {
      const reason = (error instanceof NoProviderError && error.cpuReason) || firstLine(error);
      throw new BackboneError(`${file} is not a loadable ONNX model (${reason}); give an ONNX feature extractor exported with opset ≥ 11`);
    }
    const { session } = runtime;
    const inputs = session.inputMetadata.filter((m) => m.isTensor);
    const image = inputs.find((m) => m.isTensor && m.type === 'float32' && m.shape.length === 4 && (m.shape[1] === 3 || typeof m.shape[1] === 'string'));
    if (inputs.length !== 1 || !image || !image.isTensor) {
      const seen = session.inputMetadata.map((m) => (m.isTensor ? `${m.name} ${m.type} [${m.shape.join(', ')}]` : `${m.name} (not a tensor)`)).join('; ');
      throw new BackboneError(`${file} must take exactly one float32 NCHW image input with 3 channels; it takes: ${seen || 'nothing'}`);
    }
    const fixed = image.shape.slice(2).filter((d) => typeof d === 'number');
    if (fixed.length) {
      throw new BackboneError(`${file} has a fixed input size [${image.shape.join(', ')}]; export it with dynamic height and width so any model size works`);
    }
    const probe = new ort.Tensor('float32', new Float32Array(3 * PROBE * PROBE), [1, 3, PROBE, PROBE]);
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await session.run({ [image.name]: probe });
    } catch (error) {
      throw new BackboneError(`${file} fails on a ${PROBE}×${PROBE} probe image (${firstLine(error)}); it must accept any H and W that are multiples of 32`);
    }
    const strides = session.outputNames.map((name) => {
      const t = results[name]!;
      const dims = t.dims;
      if (t.type !== 'float32' || dims.length !== 4) return { name, stride: NaN, channels: 0, desc: `${name} ${t.type} [${dims.join(', ')}]` };
      const stride = PROBE / dims[2]!;
      return { name, stride: Math.abs(stride - Math.round(stride)) < 1e-9 && PROBE / dims[3]! === stride ? stride : NaN, channels: dims[1]!, desc: `${name} stride ${PROBE / dims[2]!}` };
    });
    const s8 = strides.find((s) => s.stride === 8);
    const s16 = strides.find((s) => s.stride === 16);
    if (!s8 || !s16) {
      throw new BackboneError(
        `${file} needs a stride-8 and a stride-16 float32 NCHW output (e.g. ResNet layer2 and layer3); for a ${PROBE}×${PROBE} probe it gives ${strides.map((s) => s.desc).join(', ')}`,
      );
    }
    return new Backbone(
      { path: file, sha256, inputName: image.name, s8Name: s8.name, s16Name: s16.name, s8Channels: s8.channels, s16Channels: s16.channels },
      session,
      runtime.provider,
      runtime.attempts,
    );
  }

  /** Runs a batch of normalized images ([N, 3, H, W], H and W multiples of 32). */
  async run(images: Float32Array, n: number, height: number, width: number): Promise<FeatureMaps> {
    const results = await this.session.run(
      { [this.info.inputName]: new ort.Tensor('float32', images, [n, 3, height, width]) },
      [this.info.s8Name, this.info.s16Name],
    );
    const s8 = results[this.info.s8Name]!;
    const s16 = results[this.info.s16Name]!;
    return {
      s8: s8.data as Float32Array,
      s16: s16.data as Float32Array,
      s8Shape: s8.dims as unknown as [number, number, number, number],
      s16Shape: s16.dims as unknown as [number, number, number, number],
    };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0]!;
}
