// The model's entry points as the jobs use them (one import site, so the model's files can move freely).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Backbone } from '../backbone/backbone.js';
import { availableProviders, type ExecutionProvider } from '../engine/runtime.js';

export { PREDICT_BATCH, Predictor, resolveConfig, retrainEpochs, trainDefectModel, warmStartConfig } from '../ssn/index.js';
export type { Prediction, TrainedModel, TrainingConfig, TrainingImage, TrainingProgress } from '../ssn/index.js';

/**
 * Loads a backbone once: checks it is a usable feature extractor (a BackboneError says what is wrong) and finds the
 * execution providers that really load here, best first, with the CPU as the fallback.
 */
export async function probeBackbone(file: string, providers?: ExecutionProvider[]): Promise<{ providers: ExecutionProvider[]; pooledChannels: number }> {
  const backbone = await Backbone.load(file, { providers: providers ?? candidateProviders() });
  await backbone.release();
  return {
    providers: backbone.provider === 'cpu' ? ['cpu'] : [backbone.provider, 'cpu'],
    pooledChannels: backbone.info.s8Channels + backbone.info.s16Channels,
  };
}

/** The model's own errors that are about the user's input, with the code they travel under. */
export const MODEL_INPUT_ERRORS: Record<string, string> = {
  BackboneError: 'backbone-invalid',
  ConfigError: 'config-invalid',
  ImageInputError: 'image-unreadable',
  ImageDecodeError: 'image-unreadable',
  TrainingError: 'training-failed',
  MaskError: 'mask-unreadable',
};

/**
 * The providers worth trying here. WebGPU on Linux runs on Vulkan: without a Vulkan loader it cannot load, and trying
 * it anyway makes Dawn print a warning on the terminal, so it is left out when no libvulkan is found.
 */
export function candidateProviders(): ExecutionProvider[] {
  const listed = availableProviders();
  if (process.platform !== 'linux' || !listed.includes('webgpu')) return listed;
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
  const vulkan = dirs.some((dir) => existsSync(path.join(dir, 'libvulkan.so.1')));
  return vulkan ? listed : listed.filter((p) => p !== 'webgpu');
}
