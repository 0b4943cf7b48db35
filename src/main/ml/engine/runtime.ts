// The one place that creates ONNX Runtime sessions. It tries execution providers in order of preference
// (CUDA → DirectML → WebGPU → CPU), falls back to the next when one fails to load, and reports which one runs and
// what happened to the others. Thread counts are set here too.
import os from 'node:os';
import ort from 'onnxruntime-node';

export type ExecutionProvider = 'cuda' | 'dml' | 'webgpu' | 'cpu';
export const PROVIDER_ORDER: readonly ExecutionProvider[] = ['cuda', 'dml', 'webgpu', 'cpu'];

export interface ProviderAttempt {
  provider: ExecutionProvider;
  ok: boolean;
  error?: string;
}

export interface SessionOptions {
  /** Providers to try, in order; defaults to every one this build of onnxruntime-node lists, best first. */
  providers?: readonly ExecutionProvider[];
  /** Threads for one op (CPU provider); defaults to the machine's cores. */
  threads?: number;
  /** Keep every node on the chosen provider: fail instead of silently running some ops on the CPU. */
  strict?: boolean;
  /**
   * Let the pool's threads spin between parallel sections and after a run (ONNX Runtime's default), instead of
   * sleeping. Spinning threads hold a core the next session needs: predicting runs four sessions in turn (decode,
   * backbone, heads, map), and on 2 cores with every pool spinning 89 images took 17.2 s and one image 127–153 ms;
   * with only the backbone's spinning 13.7 s and 82–88 ms. A session that runs alone wants it: a sleeping pool lets
   * the cores idle between parallel sections, and the int8 ResNet-50 alone took 42–45 ms after a pause, 27.5 spinning.
   */
  spinning?: boolean;
  /** Where ONNX Runtime writes the graph it actually runs (after its fusions), to check what it made of a model. */
  optimizedModelPath?: string;
}

export interface RuntimeSession {
  session: ort.InferenceSession;
  provider: ExecutionProvider;
  attempts: ProviderAttempt[];
}

/** Providers this onnxruntime-node build knows for this platform, best first. */
export function availableProviders(): ExecutionProvider[] {
  const listed = new Set(ort.listSupportedBackends().map((b) => b.name as string));
  return PROVIDER_ORDER.filter((p) => listed.has(p) || p === 'cpu');
}

export async function createSession(model: Uint8Array, options: SessionOptions = {}): Promise<RuntimeSession> {
  const providers = options.providers ?? availableProviders();
  const attempts: ProviderAttempt[] = [];
  for (const provider of providers) {
    try {
      const session = await ort.InferenceSession.create(model, {
        // one provider per try: a list such as ['webgpu', 'cpu'] throws when no adapter exists instead of falling back
        executionProviders: [provider],
        // the graph written for inspection stops short of the CPU-specific layout rewrites ('all'), which ONNX
        // Runtime warns make a file unfit for other machines; the fusions worth checking happen before them
        graphOptimizationLevel: options.optimizedModelPath ? 'extended' : 'all',
        intraOpNumThreads: options.threads ?? os.availableParallelism(),
        interOpNumThreads: 1,
        executionMode: 'sequential',
        ...(options.optimizedModelPath ? { optimizedModelFilePath: options.optimizedModelPath } : {}),
        extra: {
          session: {
            intra_op: { allow_spinning: options.spinning ? '1' : '0' },
            ...(options.strict && provider !== 'cpu' ? { disable_cpu_ep_fallback: '1' } : {}),
          },
        },
      });
      attempts.push({ provider, ok: true });
      return { session, provider, attempts };
    } catch (error) {
      attempts.push({ provider, ok: false, error: (error as Error).message.split('\n')[0] });
    }
  }
  throw new Error(`no execution provider could run the model: ${attempts.map((a) => `${a.provider}: ${a.error}`).join('; ')}`);
}
