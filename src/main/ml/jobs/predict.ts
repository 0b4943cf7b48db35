// Prediction with a stored version: score, label at the version's threshold, the anomaly map in its compact form,
// and (for the CLI) a heat-map PNG over the image. Sessions are created once per version and reused.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../../shared/errors.js';
import type { ModelVersionDetail } from '../../../shared/models.js';
import { encodeMap, writeHeatmap } from '../../images/anomalyMap.js';
import { probeImage } from '../../images/decode.js';
import type { Project } from '../../store/project.js';
import type { ExecutionProvider } from '../engine/runtime.js';
import { loadTrainedModel } from './modelFiles.js';
import { Predictor } from './ssn.js';
import { imageThreshold, type ThresholdSource } from './threshold.js';

export interface PredictInput {
  /** A project image, or any image file on disk. */
  imageId?: number;
  path?: string;
  /** Write a heat-map PNG here. */
  heatmapPath?: string;
}

export interface PredictedImage {
  imageId: number | null;
  path: string;
  versionId: number;
  score: number;
  label: 'normal' | 'anomalous';
  threshold: number;
  thresholdSource: ThresholdSource;
  map: { width: number; height: number; min: number; max: number; png: Uint8Array };
  heatmapPath: string | null;
  ms: number;
}

export class VersionPredictor {
  private constructor(
    private readonly project: Project,
    readonly version: ModelVersionDetail,
    private readonly predictor: Predictor,
  ) {}

  static async open(project: Project, versionId: number, providers?: ExecutionProvider[]): Promise<VersionPredictor> {
    const version = project.models.require(versionId);
    const model = await loadTrainedModel(project, version);
    const predictor = await Predictor.create(model, { cacheDir: project.layout.featureCache, ...(providers ? { providers } : {}) });
    return new VersionPredictor(project, version, predictor);
  }

  get provider(): string {
    return this.predictor.provider ?? this.version.provider;
  }

  async predict(input: PredictInput): Promise<PredictedImage> {
    const { file, imageId, sha256 } = await this.locate(input);
    const started = performance.now();
    const prediction = await this.predictor.predict(sha256 ? { path: file, sha256 } : { path: file });
    const ms = performance.now() - started;
    const threshold = imageThreshold(this.project, this.version.id);
    const encoded = await encodeMap(prediction.map, prediction.mapWidth, prediction.mapHeight);
    if (input.heatmapPath) {
      await mkdir(path.dirname(input.heatmapPath), { recursive: true });
      await writeHeatmap(file, prediction.map, prediction.mapWidth, prediction.mapHeight, input.heatmapPath);
    }
    return {
      imageId,
      path: file,
      versionId: this.version.id,
      score: prediction.score,
      label: prediction.score >= threshold.value ? 'anomalous' : 'normal',
      threshold: threshold.value,
      thresholdSource: threshold.source,
      map: { width: prediction.mapWidth, height: prediction.mapHeight, min: encoded.min, max: encoded.max, png: encoded.png },
      heatmapPath: input.heatmapPath ?? null,
      ms,
    };
  }

  async release(): Promise<void> {
    await this.predictor.release();
  }

  private async locate(input: PredictInput): Promise<{ file: string; imageId: number | null; sha256: string | null }> {
    if (input.imageId !== undefined) {
      const image = this.project.images.get(input.imageId);
      if (!image) throw new InputError('image-not-found', `there is no image with id ${input.imageId} in this project`);
      return { file: this.project.imagePath(image), imageId: image.id, sha256: image.sha256 };
    }
    if (!input.path) throw new InputError('no-image', 'give an image id or an image file to predict');
    await probeImage(input.path).catch((error: Error) => {
      throw new InputError('image-unreadable', `cannot read ${input.path} as an image (${error.message}); give a PNG, JPEG, BMP or TIFF file`);
    });
    return { file: path.resolve(input.path), imageId: null, sha256: null };
  }
}
