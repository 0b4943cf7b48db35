// The one contract between the renderer and the main-process services: every call with the schema of its input
// and the type of its result, and every event. Electron IPC and the browser-mode bridge are two transports under
// the same `call`/`on`; main validates every input against these schemas before a service runs.
import { z } from 'zod';
import {
  defectClassSchema,
  importLayoutSchema,
  labelStateSchema,
  splitSchema,
  type ImageRecord,
  type ImportProgress,
  type ImportReport,
  type LabelState,
  type ProjectStats,
  type Split,
} from './domain.js';
import {
  modelSizeSchema,
  presetSchema,
  type AnomalyMapImage,
  type EvaluationDetail,
  type EvaluationFinishedEvent,
  type ModelVersionDetail,
  type ModelVersionSummary,
  type PredictionResult,
  type SnapshotCounts,
  type SupervisionRegime,
  type TrainingFinishedEvent,
  type TrainingProgressEvent,
  type TrainingRunInfo,
} from './models.js';
import { reviewActionSchema, reviewOrderSchema, type ReviewQueue, type VersionAnalysis } from './review.js';

const pathSchema = z
  .string()
  .trim()
  .min(1, 'a folder path is needed')
  .max(4096, 'the path is too long')
  .refine((p) => !p.includes('\0'), 'the path contains a NUL character');
const imageId = z.number().int().positive();
const empty = z.object({}).strict();
const versionId = z.number().int().positive();
const runId = z.string().regex(/^[0-9A-Za-z-]{1,64}$/, 'a training run id');

export const imageFilterSchema = z
  .object({ split: splitSchema.optional(), labelState: labelStateSchema.optional(), defectClass: z.string().max(64).optional() })
  .strict();
export type ImageFilter = z.infer<typeof imageFilterSchema>;

export const API = {
  'app.info': empty,
  'project.recent': empty,
  'project.current': empty,
  'project.create': z.object({ dir: pathSchema, name: z.string().trim().min(1).max(200).optional() }).strict(),
  'project.open': z.object({ dir: pathSchema }).strict(),
  /** Creates a project in `dir` filled with generated surface images, defects and masks. */
  'project.createDemo': z.object({ dir: pathSchema, seed: z.number().int().optional() }).strict(),
  'project.close': empty,
  'project.stats': empty,
  'images.list': z.object({ filter: imageFilterSchema }).strict(),
  'images.get': z.object({ id: imageId }).strict(),
  'images.label': z
    .object({ id: imageId, labelState: labelStateSchema, defectClass: defectClassSchema.nullable().optional() })
    .strict(),
  'import.start': z.object({ source: pathSchema, layout: importLayoutSchema.optional() }).strict(),
  'import.cancel': z.object({ jobId: z.string().min(1).max(64) }).strict(),
  /** Starts training on the current labels (snapshot taken now); progress arrives as training.progress events. */
  'training.start': z
    .object({
      backbone: pathSchema,
      preset: presetSchema.optional(),
      epochs: z.number().int().min(1).max(10_000).optional(),
      size: modelSizeSchema.optional(),
      seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
      /** Warm start from this version's adaptor and heads. */
      parentVersion: versionId.optional(),
    })
    .strict(),
  'training.cancel': z.object({ runId }).strict(),
  /** Continues a cancelled, failed or interrupted run from its last checkpoint, on the labels it started with. */
  'training.resume': z.object({ runId }).strict(),
  'training.status': empty,
  /** The shipped backbones and those already stored in the project. */
  'models.backbones': empty,
  'models.list': empty,
  'models.get': z.object({ version: versionId }).strict(),
  'models.delete': z.object({ version: versionId }).strict(),
  'models.setActive': z.object({ version: versionId.nullable() }).strict(),
  /** Scores every image of a split (default test) in a worker; evaluation.finished tells when it is stored. */
  'models.evaluate': z.object({ version: versionId, split: splitSchema.optional() }).strict(),
  /** The stored evaluation of a version on a split (default test), with each image's score and map reference. */
  'models.evaluation': z.object({ version: versionId, split: splitSchema.optional() }).strict(),
  'models.map': z.object({ evaluationId: z.number().int().positive(), imageId }).strict(),
  /** Scores one project image with a version (default: the active one, else the newest). */
  'models.predict': z.object({ imageId, version: versionId.optional() }).strict(),
  /** The pixel threshold fitted on validation and the defect regions of a split the version misses at it. */
  'models.analysis': z.object({ version: versionId, split: splitSchema.optional() }).strict(),
  /** The images a version scored, ranked most anomalous first or nearest the threshold first. */
  'review.queue': z.object({ version: versionId, order: reviewOrderSchema.optional() }).strict(),
  /** One review action on one image, stored with source `review` in its label history. */
  'review.act': z.object({ version: versionId, imageId, action: reviewActionSchema }).strict(),
  /** Takes back the image's last review action (its history entry is removed, the label before it restored). */
  'review.undo': z.object({ imageId }).strict(),
} as const;

export type Channel = keyof typeof API;
export type ApiInput<C extends Channel> = z.input<(typeof API)[C]>;
export type ParsedInput<C extends Channel> = z.output<(typeof API)[C]>;

export interface AppInfo {
  version: string;
  /** 'electron' or 'browser': where the renderer runs. */
  shell: 'electron' | 'browser';
  homeDir: string;
  /** A suggested folder for a new demo project. */
  suggestedDemoDir: string;
}

export interface ProjectInfo {
  root: string;
  name: string;
  stats: ProjectStats;
}

export interface RecentProject {
  root: string;
  name: string;
  openedAt: string;
  exists: boolean;
}

/** What the grid needs of an image; the viewer fetches the full record. */
export interface ImageSummary {
  id: number;
  name: string;
  split: Split;
  labelState: LabelState;
  defectClass: string | null;
  hasMask: boolean;
  width: number;
  height: number;
}

export interface ImageList {
  items: ImageSummary[];
  classes: string[];
}

export interface ApiResults {
  'app.info': AppInfo;
  'project.recent': RecentProject[];
  'project.current': ProjectInfo | null;
  'project.create': ProjectInfo;
  'project.open': ProjectInfo;
  'project.createDemo': ProjectInfo;
  'project.close': null;
  'project.stats': ProjectStats;
  'images.list': ImageList;
  'images.get': ImageRecord;
  'images.label': ImageRecord;
  'import.start': { jobId: string };
  'import.cancel': { cancelled: boolean };
  'training.start': { runId: string };
  'training.cancel': { cancelled: boolean };
  'training.resume': { runId: string };
  'training.status': TrainingStatus;
  'models.backbones': BackboneChoice[];
  'models.list': ModelVersionSummary[];
  'models.get': ModelVersionDetail;
  'models.delete': { deleted: number; removedFiles: number };
  'models.setActive': { active: number | null };
  'models.evaluate': { jobId: string };
  'models.evaluation': EvaluationDetail | null;
  'models.map': AnomalyMapImage;
  'models.predict': PredictionResult;
  'models.analysis': VersionAnalysis;
  'review.queue': ReviewQueue;
  'review.act': ImageRecord;
  'review.undo': ImageRecord;
}

export interface TrainingStatus {
  /** The run training now in this app, with its last progress event. */
  active: (TrainingRunInfo & { progress: TrainingProgressEvent | null }) | null;
  /** Recent runs, newest first; resumable ones can be continued with training.resume. */
  runs: TrainingRunInfo[];
  /** What training would start from now: the current labels' counts and the regime they give. */
  current: { counts: SnapshotCounts; regime: SupervisionRegime };
}

export interface BackboneChoice {
  name: string;
  path: string;
  sizeBytes: number;
  /** Shipped with the workbench, or a copy already stored in this project. */
  origin: 'shipped' | 'project';
}

export interface ApiEvents {
  'import.progress': ImportProgress & { jobId: string };
  'import.finished': { jobId: string; report: ImportReport | null; error: string | null };
  /** The open project changed (opened, closed, labels or images changed). */
  'project.changed': ProjectInfo | null;
  'training.progress': TrainingProgressEvent;
  'training.finished': TrainingFinishedEvent;
  'evaluation.progress': { jobId: string; versionId: number; split: Split; done: number; total: number };
  'evaluation.finished': EvaluationFinishedEvent;
}
export type EventName = keyof ApiEvents;
export const EVENT_NAMES: readonly EventName[] = [
  'import.progress',
  'import.finished',
  'project.changed',
  'training.progress',
  'training.finished',
  'evaluation.progress',
  'evaluation.finished',
];

export type FileKind = 'thumbnail' | 'image' | 'mask';

/** The renderer's view of the services, whatever the transport. */
export interface WorkbenchApi {
  call<C extends Channel>(channel: C, input: ApiInput<C>): Promise<ApiResults[C]>;
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
  fileUrl(kind: FileKind, id: number, version?: string | number): string;
}

/** An error as it crosses a transport: a stable code and a message for people. */
export interface ApiError {
  code: string;
  message: string;
}

export function isChannel(name: unknown): name is Channel {
  return typeof name === 'string' && Object.hasOwn(API, name);
}
