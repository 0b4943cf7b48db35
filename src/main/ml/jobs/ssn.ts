// The model's entry points as the jobs use them (one import site, so the model's files can move freely).
import { Backbone } from '../backbone/backbone.js';
import type { ExecutionProvider } from '../engine/runtime.js';

export { resolveConfig } from '../ssn/presets.js';
export { trainDefectModel } from '../ssn/train.js';
export { Predictor } from '../ssn/predictor.js';
export type { Prediction, TrainedModel, TrainingConfig, TrainingImage, TrainingProgress } from '../ssn/types.js';

/**
 * Loads a backbone once: checks it is a usable feature extractor (a BackboneError says what is wrong) and finds the
 * execution providers that really load here, best first, with the CPU as the fallback.
 */
export async function probeBackbone(file: string, providers?: ExecutionProvider[]): Promise<ExecutionProvider[]> {
  const backbone = await Backbone.load(file, providers ? { providers } : {});
  await backbone.release();
  return backbone.provider === 'cpu' ? ['cpu'] : [backbone.provider, 'cpu'];
}

/** The model's own errors that are about the user's input, with the code they travel under. */
export const MODEL_INPUT_ERRORS: Record<string, string> = {
  BackboneError: 'backbone-invalid',
  ConfigError: 'config-invalid',
  ImageInputError: 'image-unreadable',
  ImageDecodeError: 'image-unreadable',
  MaskError: 'mask-unreadable',
};
