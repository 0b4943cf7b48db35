// The model's public surface for the training job, the model-version store, the CLI and the app services.
export * from './types.js';
export { PRESETS, resolveConfig, retrainEpochs, warmStartConfig, ConfigError } from './presets.js';
export { trainDefectModel, TrainingError } from './train.js';
export { PREDICT_BATCH, Predictor } from './predictor.js';
export { BackboneError } from '../backbone/backbone.js';
export { FeatureCache } from '../backbone/featureCache.js';
