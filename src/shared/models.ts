// The vocabulary of trained models, shared by the services, the CLI and the renderer: model versions, their dataset
// snapshots, training runs and their progress, evaluations. Plain data and schemas only (imported by the renderer).
import { z } from 'zod';
import type { Split } from './domain.js';

export const PRESETS = ['fast', 'paper'] as const;
export const presetSchema = z.enum(PRESETS);
export type PresetName = z.infer<typeof presetSchema>;

/** Model input size; rectangular sizes are allowed (long narrow parts). */
export const modelSizeSchema = z
  .object({ height: z.number().int().min(32).max(2048), width: z.number().int().min(32).max(2048) })
  .strict();
export type ModelSize = z.infer<typeof modelSizeSchema>;

/** Images per supervision strength in one split of a snapshot. */
export interface SupervisionCounts {
  normal: number;
  weak: number;
  full: number;
}
export type SnapshotCounts = Record<Split, SupervisionCounts>;

/** The supervision regime the labels give, in the words the UI shows. */
export type SupervisionRegime = 'unsupervised' | 'weakly supervised' | 'mixed supervision' | 'fully supervised';

export function regimeOf(train: SupervisionCounts): SupervisionRegime {
  if (train.weak === 0 && train.full === 0) return 'unsupervised';
  if (train.full === 0) return 'weakly supervised';
  if (train.weak === 0) return 'fully supervised';
  return 'mixed supervision';
}

/** What a list of versions shows; `metrics` are the headline figures of the last test evaluation when there is one. */
export interface ModelVersionSummary {
  id: number;
  createdAt: string;
  preset: PresetName;
  backboneName: string;
  backboneSha256: string;
  size: ModelSize;
  epochs: number;
  seed: number;
  parentId: number | null;
  counts: SnapshotCounts;
  regime: SupervisionRegime;
  trainSeconds: number;
  provider: string;
  active: boolean;
  testMetrics: EvaluationMetrics | null;
}

export interface ModelVersionDetail extends ModelVersionSummary {
  runId: string;
  /** The resolved training configuration, every value the preset fixed (the backbone as a project file). */
  config: Record<string, unknown>;
  backboneSource: string;
  featureScale: number;
  graphSha256: string;
  snapshotSha256: string;
  /** Validation metrics at the end of training (never the test split). */
  trainingMetrics: Record<string, number>;
  evaluations: EvaluationSummary[];
}

/** Every metric as a fraction in [0, 1]; null where the split cannot give it (no anomalous images, no masks). */
export interface EvaluationMetrics {
  image_auroc: number | null;
  image_ap: number | null;
  image_f1max: number | null;
  pg2: number | null;
  pb2: number | null;
  pixel_auroc: number | null;
  aupro: number | null;
  pixel_ap: number | null;
  pixel_f1max: number | null;
  /** Image threshold at F1-max (on this split's scores): informative only, thresholds come from validation. */
  f1max_threshold: number | null;
  /** 99th percentile of the normal images' scores: the threshold used when there are no anomalous images to fit one. */
  normal_q99: number | null;
}

/** One defect class's anomalous images against every normal image of the split; fractions in [0, 1] or null. */
export interface ClassMetrics {
  /** null: anomalous images that have no class. */
  defectClass: string | null;
  anomalous: number;
  masks: number;
  image_auroc: number | null;
  image_ap: number | null;
  pixel_auroc: number | null;
  aupro: number | null;
  pixel_ap: number | null;
}

export interface EvaluationSummary {
  id: number;
  versionId: number;
  createdAt: string;
  split: Split;
  images: number;
  normal: number;
  anomalous: number;
  masks: number;
  msPerImage: number;
  provider: string;
  mapWidth: number;
  mapHeight: number;
  metrics: EvaluationMetrics;
  /** Per defect class, most images first; null for an evaluation written before they were kept. */
  byClass: ClassMetrics[] | null;
}

/** One evaluated image: score, the label it had then, and where its anomaly map is (8-bit levels over [min, max]). */
/** What an evaluation stores for one image (the image's hash is read from the catalog with it). */
export type ScoredImage = Omit<EvaluatedImage, 'imageSha256'>;

export interface EvaluatedImage {
  imageId: number;
  /** The image's content hash: its file address for thumbnails and the viewer. */
  imageSha256: string;
  labelState: 'unlabeled' | 'normal' | 'anomalous';
  hasMask: boolean;
  score: number;
  mapSha256: string;
  mapMin: number;
  mapMax: number;
}

export interface EvaluationDetail extends EvaluationSummary {
  perImage: EvaluatedImage[];
}

/** An anomaly map as it crosses the API: an 8-bit grey PNG at the model size, level v means min + v/255·(max − min). */
export interface AnomalyMapImage {
  width: number;
  height: number;
  min: number;
  max: number;
  pngBase64: string;
}

export interface PredictionResult {
  imageId: number | null;
  versionId: number;
  score: number;
  /** At the version's stored image threshold (the F1-max threshold of its last validation/test evaluation). */
  label: 'normal' | 'anomalous';
  threshold: number;
  map: AnomalyMapImage;
}

export type TrainingPhase = 'preparing' | 'features' | 'fitting' | 'training' | 'validating' | 'finishing' | 'evaluating';

export interface TrainingProgressEvent {
  runId: string;
  phase: TrainingPhase;
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** Each loss term of the last step, plus 'total'. */
  losses: Record<string, number>;
  imagesPerSecond: number;
  etaSeconds: number | null;
  provider: string;
  validation?: Record<string, number>;
  /** While evaluating: the split being scored (step/steps count its images). */
  split?: Split;
}

export type TrainingRunStatus = 'running' | 'cancelled' | 'failed' | 'completed' | 'interrupted';

export interface TrainingRunInfo {
  id: string;
  createdAt: string;
  updatedAt: string;
  /** 'interrupted': marked running, but the process that ran it is gone (killed); it can be resumed. */
  status: TrainingRunStatus;
  preset: PresetName;
  backboneName: string;
  epochs: number;
  size: ModelSize;
  seed: number;
  counts: SnapshotCounts;
  regime: SupervisionRegime;
  versionId: number | null;
  error: string | null;
  resumable: boolean;
}

export interface TrainingFinishedEvent {
  runId: string;
  status: 'completed' | 'cancelled' | 'failed';
  versionId: number | null;
  error: string | null;
}

export interface EvaluationFinishedEvent {
  jobId: string;
  versionId: number;
  evaluation: EvaluationSummary | null;
  error: string | null;
}
