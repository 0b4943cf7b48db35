// The one place that creates ONNX Runtime sessions. It tries execution providers in order of preference
// (CUDA → DirectML → WebGPU → CPU), falls back to the next when one fails to load, and reports which one runs and
// what happened to the others. Thread counts are set here too.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { lowerForWebGpu } from './onnx/webgpuLowering.js';

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
  /**
   * Outputs to leave in the execution provider's memory (ONNX Runtime's IO binding, location 'gpu-buffer'), so that
   * a caller can feed them to the next run without a round trip through the host. Applied on WebGPU, the provider
   * whose IO binding onnxruntime-node has; on the CPU the host is the provider's memory, so only when `onCpu` (tests
   * of the same code path).
   */
  deviceOutputs?: { names: readonly string[]; onCpu?: boolean };
}

export interface RuntimeSession {
  session: ort.InferenceSession;
  provider: ExecutionProvider;
  attempts: ProviderAttempt[];
  /** The session returns `deviceOutputs` in the provider's memory (see SessionOptions). */
  outputsOnDevice: boolean;
}

/**
 * Providers this onnxruntime-node build knows for this platform and that can load here, best first: every session
 * made without a provider list tries these. CUDA needs a provider library that onnxruntime-node's install downloads
 * on request only (skipped offline, see .npmrc): without it, trying CUDA makes ONNX Runtime print an error on every
 * command, so it is left out. WebGPU on Linux runs on Vulkan: without a Vulkan loader it cannot load, and trying it
 * anyway makes Dawn print a warning, so it is left out when no libvulkan is found.
 */
export function availableProviders(): ExecutionProvider[] {
  const listed = new Set(ort.listSupportedBackends().map((b) => b.name as string));
  return PROVIDER_ORDER.filter((p) => listed.has(p) || p === 'cpu').filter((p) => {
    if (p === 'cuda') return cudaProviderInstalled();
    if (p === 'webgpu' && process.platform === 'linux') return vulkanLoaderFound();
    return true;
  });
}

/** Where onnxruntime-node keeps its native binding for this platform (its provider libraries lie beside it). */
export function ortBindingDir(): string {
  const manifest = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
  return path.join(path.dirname(manifest), 'bin', 'napi-v6', process.platform, process.arch);
}

/**
 * Whether onnxruntime-node's CUDA provider library is installed beside its binding (`ONNXRUNTIME_NODE_INSTALL=cuda12
 * npm rebuild onnxruntime-node` puts it there; its CUDA build exists for Linux x64 only).
 */
export function cudaProviderInstalled(bindingDir = ortBindingDir()): boolean {
  return existsSync(path.join(bindingDir, 'libonnxruntime_providers_cuda.so'));
}

/** Whether a Vulkan loader (libvulkan.so.1) is where the dynamic linker looks for it on Linux. */
export function vulkanLoaderFound(): boolean {
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
  return dirs.some((dir) => existsSync(path.join(dir, 'libvulkan.so.1')));
}

export async function createSession(model: Uint8Array, options: SessionOptions = {}): Promise<RuntimeSession> {
  const providers = options.providers ?? availableProviders();
  const attempts: ProviderAttempt[] = [];
  let lowered: Uint8Array | undefined;
  for (const provider of providers) {
    // the 'gpu-buffer' location is WebGPU's in the JS API (untested with CUDA or DirectML): elsewhere outputs come home
    const onDevice = options.deviceOutputs !== undefined && (provider === 'webgpu' || (provider === 'cpu' && options.deviceOutputs.onCpu === true));
    try {
      // WebGPU gets the form of the graph it has kernels for (the same bits; onnx/webgpuLowering.ts says why)
      const bytes = provider === 'webgpu' ? (lowered ??= lowerForWebGpu(model)) : model;
      const session = await ort.InferenceSession.create(bytes, sessionOptions(provider, options, onDevice));
      attempts.push({ provider, ok: true });
      return { session, provider, attempts, outputsOnDevice: onDevice };
    } catch (error) {
      attempts.push({ provider, ok: false, error: (error as Error).message.split('\n')[0] });
    }
  }
  throw new NoProviderError(attempts);
}

/** Every provider asked refused the model; `attempts` says why each did. */
export class NoProviderError extends Error {
  override readonly name = 'NoProviderError';
  constructor(readonly attempts: ProviderAttempt[]) {
    super(`no execution provider could run the model: ${attempts.map((a) => `${a.provider}: ${a.error}`).join('; ')}`);
  }

  /**
   * Why the CPU provider refused, when it was asked: it runs every valid model, so its refusal is the file's fault,
   * where a GPU provider's may only mean a missing driver or library.
   */
  get cpuReason(): string | undefined {
    return this.attempts.find((a) => a.provider === 'cpu' && !a.ok)?.error;
  }
}

function sessionOptions(provider: ExecutionProvider, options: SessionOptions, onDevice: boolean): ort.InferenceSession.SessionOptions {
  return {
    // one provider per try: a list such as ['webgpu', 'cpu'] throws when no adapter exists instead of falling back
    executionProviders: [provider],
    // the graph written for inspection stops short of the CPU-specific layout rewrites ('all'), which ONNX
    // Runtime warns make a file unfit for other machines; the fusions worth checking happen before them
    graphOptimizationLevel: options.optimizedModelPath ? 'extended' : 'all',
    intraOpNumThreads: options.threads ?? os.availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // errors only: the warnings ONNX Runtime prints are about graphs as the workbench means them (an exported model's
    // thresholds are initializers that the line may override as inputs: one warning each on every load)
    logSeverityLevel: 3,
    ...(options.optimizedModelPath ? { optimizedModelFilePath: options.optimizedModelPath } : {}),
    ...(onDevice ? { preferredOutputLocation: Object.fromEntries(options.deviceOutputs!.names.map((name) => [name, 'gpu-buffer' as const])) } : {}),
    extra: {
      session: {
        intra_op: { allow_spinning: options.spinning ? '1' : '0' },
        ...(options.strict && provider !== 'cpu' ? { disable_cpu_ep_fallback: '1' } : {}),
      },
    },
  };
}
