// Scores images with a trained model: the backbone session and the heads session are created once; predict()
// decodes, stretches and normalizes an image exactly as training did, runs both, and turns the map logits into the
// smoothed map at model input size and the image score.
import ort from 'onnxruntime-node';
import { Backbone, BackboneError } from '../backbone/backbone.js';
import { FeatureCache } from '../backbone/featureCache.js';
import { loadNormalizedImage } from '../backbone/preprocess.js';
import { createSession, type ExecutionProvider } from '../engine/runtime.js';
import { finishPrediction } from './postprocess.js';
import type { Prediction, TrainedModel } from './types.js';

export class Predictor {
  private constructor(
    private readonly model: TrainedModel,
    private readonly backbone: Backbone,
    private readonly heads: ort.InferenceSession,
    private readonly cache: FeatureCache | null,
    readonly provider: ExecutionProvider,
  ) {}

  static async create(model: TrainedModel, options: { cacheDir?: string; providers?: ExecutionProvider[]; threads?: number } = {}): Promise<Predictor> {
    const backbone = await Backbone.load(model.config.backbonePath, { providers: options.providers, threads: options.threads });
    if (backbone.info.sha256 !== model.backboneSha256) {
      await backbone.release();
      throw new BackboneError(
        `${model.config.backbonePath} is not the backbone this model was trained with (sha256 ${backbone.info.sha256.slice(0, 12)}…, expected ${model.backboneSha256.slice(0, 12)}…); point the model at its original backbone file`,
      );
    }
    const heads = await createSession(model.inferenceGraph, { providers: [backbone.provider], threads: options.threads });
    return new Predictor(model, backbone, heads.session, options.cacheDir ? new FeatureCache(options.cacheDir) : null, heads.provider);
  }

  async predict(image: { path: string; sha256?: string }): Promise<Prediction> {
    const { config } = this.model;
    const { height, width } = config.size;
    // the backbone maps of an image are cached under their own key ('<preset>-maps'), apart from training features
    const key = image.sha256 && this.cache ? { imageSha256: image.sha256, backboneSha256: this.model.backboneSha256, height, width, preset: `${config.preset}-maps` } : null;
    const cached = key ? await this.cache!.get(key) : null;
    let s8: { data: Float32Array; shape: number[] };
    let s16: { data: Float32Array; shape: number[] };
    if (cached?.tensors.s8 && cached.tensors.s16) {
      s8 = { data: cached.tensors.s8.data, shape: cached.tensors.s8.shape };
      s16 = { data: cached.tensors.s16.data, shape: cached.tensors.s16.shape };
    } else {
      const input = await loadNormalizedImage(image.path, config.size);
      const maps = await this.backbone.run(input, 1, height, width);
      s8 = { data: maps.s8, shape: [...maps.s8Shape] };
      s16 = { data: maps.s16, shape: [...maps.s16Shape] };
      if (key) await this.cache!.put(key, { tensors: { s8, s16 }, stats: {} });
    }
    const out = await this.heads.run({ s8: new ort.Tensor('float32', s8.data, s8.shape), s16: new ort.Tensor('float32', s16.data, s16.shape) });
    const logits = out.map!.data as Float32Array;
    const [, , mh, mw] = out.map!.dims as number[];
    const { score, map } = finishPrediction(config, (out.score!.data as Float32Array)[0]!, logits, mh!, mw!);
    return { score, map, mapWidth: width, mapHeight: height };
  }

  async release(): Promise<void> {
    await this.heads.release();
    await this.backbone.release();
  }
}
