// The model's entry points as the jobs use them (one import site, so the model's files can move freely).
import { Backbone } from '../backbone/backbone.js';
import type { ExecutionProvider } from '../engine/runtime.js';

export { PREDICT_BATCH, Predictor, resolveConfig, retrainEpochs, trainDefectModel, warmStartConfig } from '../ssn/index.js';
export type { Prediction, TrainedModel, TrainingConfig, TrainingImage, TrainingProgress } from '../ssn/index.js';

/**
 * Loads a backbone once: checks it is a usable feature extractor (a BackboneError says what is wrong) and finds the
 * execution providers that really load here, best first, with the CPU as the fallback.
 */
export async function probeBackbone(file: string, providers?: ExecutionProvider[]): Promise<{ providers: ExecutionProvider[]; pooledChannels: number }> {
  const backbone = await Backbone.load(file, providers ? { providers } : {});
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
