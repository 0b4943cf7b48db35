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
  type ImportJobState,
  type ImportProgress,
  type ImportReport,
  type LabelState,
  type ProjectStats,
  type Split,
} from './domain.js';
import { classColorSchema, maskRunsSchema, type DefectClass, type MaskRuns } from './labels.js';
import type { LabelEvent } from './domain.js';
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
import type { DriftView, ExportResultView, LineThresholdsView } from './deploy.js';
import type { MonitorFileView, MonitorStatus, MonitorSummary } from './monitor.js';
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
  .object({
    split: splitSchema.optional(),
    labelState: labelStateSchema.optional(),
    defectClass: z.string().max(64).optional(),
    /** Part of the file name, any case. */
    search: z.string().max(200).optional(),
  })
  .strict();
export type ImageFilter = z.infer<typeof imageFilterSchema>;
export const imageSortSchema = z.enum(['imported', 'name']);
export type ImageSort = z.infer<typeof imageSortSchema>;
const imageIds = z.array(imageId).min(1).max(1_000_000);

export const API = {
  'app.info': empty,
  'project.recent': empty,
  /** Removes a folder from the recent projects list (the folder itself is not touched); returns the list. */
  'project.forgetRecent': z.object({ dir: pathSchema }).strict(),
  'project.current': empty,
  'project.create': z.object({ dir: pathSchema, name: z.string().trim().min(1).max(200).optional() }).strict(),
  'project.open': z.object({ dir: pathSchema }).strict(),
  /** Creates a project in `dir` filled with generated surface images, defects and masks. */
  'project.createDemo': z.object({ dir: pathSchema, seed: z.number().int().optional() }).strict(),
  'project.close': empty,
  'project.stats': empty,
  'images.list': z.object({ filter: imageFilterSchema, sort: imageSortSchema.optional() }).strict(),
  'images.get': z.object({ id: imageId }).strict(),
  'images.label': z
    .object({
      id: imageId,
      labelState: labelStateSchema,
      defectClass: defectClassSchema.nullable().optional(),
      /** Needed to label an image with a pixel mask other than anomalous: the mask then only lives in the history. */
      dropMask: z.boolean().optional(),
    })
    .strict(),
  /** Labels several images at once (image-level; masks are kept on images that stay anomalous). */
  'images.labelMany': z
    .object({ ids: imageIds, labelState: labelStateSchema, defectClass: defectClassSchema.nullable().optional() })
    .strict(),
  /** Moves images to a split; the choice is pinned and survives re-imports and validation re-splits. */
  'images.setSplit': z.object({ ids: imageIds, split: splitSchema }).strict(),
  /** The image's label history, oldest first: what, when, from where. */
  'images.history': z.object({ id: imageId }).strict(),
  /** Makes an earlier history entry the current label again (recorded as a new entry that names it). */
  'images.restore': z.object({ id: imageId, eventId: z.number().int().positive() }).strict(),
  /** The image's indexed mask (class id per pixel) as runs over the whole image. */
  'masks.get': z.object({ id: imageId }).strict(),
  /** One edit (a stroke, a fill, a clear) as the runs of the rectangle it changed, made on mask version `base`. */
  'masks.apply': z
    .object({ id: imageId, base: z.string().max(64).nullable(), patch: maskRunsSchema, whenEmpty: z.enum(['weak', 'normal']).optional() })
    .strict(),
  'classes.list': empty,
  'classes.create': z.object({ name: defectClassSchema, color: classColorSchema.optional() }).strict(),
  'classes.update': z.object({ id: z.number().int().min(1).max(255), name: defectClassSchema.optional(), color: classColorSchema.optional() }).strict(),
  /** Every pixel and label of class `from` becomes `into`; `from` is removed. */
  'classes.merge': z.object({ from: z.number().int().min(1).max(255), into: z.number().int().min(1).max(255) }).strict(),
  'labels.import': z.object({ source: pathSchema, format: z.enum(['mvtec', 'coco', 'csv', 'json']).optional() }).strict(),
  'labels.export': z.object({ out: pathSchema, format: z.enum(['mvtec', 'coco']) }).strict(),
  'import.start': z.object({ source: pathSchema, layout: importLayoutSchema.optional() }).strict(),
  'import.cancel': z.object({ jobId: z.string().min(1).max(64) }).strict(),
  /** Checks a project's catalog and files (the open project, or `dir`); `repair` fixes what can be fixed. */
  'project.check': z.object({ dir: pathSchema.optional(), repair: z.boolean().optional() }).strict(),
  /** The import running now, if any: a page reloaded during an import finds it again. */
  'import.current': empty,
  /** One import job's state: running with its progress, or finished with its report. */
  'import.status': z.object({ jobId: z.string().min(1).max(64) }).strict(),
  /** Sub-folders of a folder (the home folder when none is given): browser mode's folder picker. */
  /** A folder's sub-folders; with `files`, also its files with those extensions (lower case, no dot). */
  'fs.list': z.object({ dir: pathSchema.optional(), files: z.array(z.string().regex(/^[a-z0-9]{1,10}$/)).max(20).optional() }).strict(),
  /** The desktop's own folder dialog; not available in browser mode (use fs.list there). */
  'dialog.pickFolder': z.object({ title: z.string().max(200).optional(), defaultPath: pathSchema.optional() }).strict(),
  /** The desktop app's file dialog, for files with these extensions (lower case, no dot). */
  'dialog.pickFile': z
    .object({ title: z.string().max(200).optional(), defaultPath: pathSchema.optional(), extensions: z.array(z.string().regex(/^[a-z0-9]{1,10}$/)).min(1).max(20) })
    .strict(),
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
  /** The version's line thresholds (null until derived). */
  'deploy.thresholds': z.object({ version: versionId }).strict(),
  /** Derives pass/review/reject and pixel thresholds from validation for the line's targets, and stores them. */
  'deploy.deriveThresholds': z
    .object({ version: versionId, maxMissRate: z.number().min(0).lt(1), maxFalseRejectRate: z.number().min(0).lt(1) })
    .strict(),
  'deploy.editThresholds': z
    .object({ version: versionId, review: z.number().min(0).max(1).optional(), reject: z.number().min(0).max(1).optional(), pixel: z.number().min(0).max(1).optional() })
    .strict(),
  /** Writes the version as one ONNX file (+ JSON metadata and golden images beside it). */
  'deploy.export': z.object({ version: versionId.optional(), out: pathSchema }).strict(),
  /** The drift monitor's verdict over the recent recorded predictions of a version. */
  'deploy.drift': z.object({ version: versionId.optional() }).strict(),
  /** The pixel threshold fitted on validation and the defect regions of a split the version misses at it. */
  'models.analysis': z.object({ version: versionId, split: splitSchema.optional() }).strict(),
  /** The images a version scored, ranked most anomalous first or nearest the threshold first. */
  'review.queue': z.object({ version: versionId, order: reviewOrderSchema.optional() }).strict(),
  /** One review action on one image, stored with source `review` in its label history. */
  'review.act': z.object({ version: versionId, imageId, action: reviewActionSchema }).strict(),
  /** Takes back the image's last review action: the label before it is restored as a new history entry. */
  'review.undo': z.object({ imageId }).strict(),
  /**
   * Watches a folder (and its sub-folders unless `recursive` is false): each new image is scored with the version
   * (default: the active one) and recorded as a prediction. Saved with the project and resumed when it opens.
   * Files already in the folder are left alone unless `includeExisting`.
   */
  'monitor.start': z
    .object({ folder: pathSchema, version: versionId.optional(), recursive: z.boolean().optional(), includeExisting: z.boolean().optional() })
    .strict(),
  /** Stops watching; the project no longer resumes it when opened. */
  'monitor.stop': empty,
  'monitor.status': empty,
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
  /** On opening only: what the opening changed that the user should hear of (an older project fitted to this version). */
  notices?: string[];
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
  /** The content's hash: file URLs are made from it, so a cached picture can never be another project's. */
  sha256: string;
  maskSha256: string | null;
  name: string;
  /** The last two folders of where it was imported from ("test/broken_large"): names repeat across classes. */
  folder: string;
  split: Split;
  /** The split was chosen by a person and stays. */
  splitPinned: boolean;
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

/** A label change, with the history entry that was current before it (what undo goes back to). */
export type LabelChange = ImageRecord & { previousEventId: number | null };

export interface MaskData {
  width: number;
  height: number;
  /** The stored version this mask is (pass it back as `base` with an edit); null when the image has no mask. */
  key: string | null;
  mask: MaskRuns;
}

export interface ApiResults {
  'app.info': AppInfo;
  'project.recent': RecentProject[];
  'project.forgetRecent': RecentProject[];
  'project.current': ProjectInfo | null;
  'project.create': ProjectInfo;
  'project.open': ProjectInfo;
  'project.createDemo': ProjectInfo;
  'project.close': null;
  'project.stats': ProjectStats;
  'images.list': ImageList;
  'images.get': ImageRecord;
  'images.labelMany': { updated: number };
  'images.setSplit': { updated: number };
  'images.label': LabelChange;
  'images.history': LabelEvent[];
  'images.restore': LabelChange;
  'masks.get': MaskData;
  'masks.apply': LabelChange;
  'classes.list': DefectClass[];
  'classes.create': DefectClass;
  'classes.update': DefectClass;
  'classes.merge': { images: number };
  'labels.import': LabelImportReport;
  'labels.export': LabelExportReport;
  'import.start': { jobId: string };
  'import.cancel': { cancelled: boolean };
  'project.check': ProjectCheckReport;
  'import.current': ImportJobState | null;
  'import.status': ImportJobState;
  'fs.list': FolderListing;
  'dialog.pickFolder': { path: string | null };
  'dialog.pickFile': { path: string | null };
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
  'deploy.thresholds': LineThresholdsView | null;
  'deploy.deriveThresholds': LineThresholdsView;
  'deploy.editThresholds': LineThresholdsView;
  'deploy.export': ExportResultView;
  'deploy.drift': DriftView;
  'monitor.start': MonitorStatus;
  'monitor.stop': MonitorStatus;
  'monitor.status': MonitorStatus;
}

export interface FolderListing {
  dir: string;
  parent: string | null;
  folders: { name: string; path: string; isProject: boolean }[];
  /** Image files directly in this folder. */
  images: number;
  isProject: boolean;
  /** The files asked for (by extension), when asked. */
  files?: { name: string; path: string }[];
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
  /** A version was deleted or the active one changed: what scores the images may be another version now. */
  'models.changed': { active: number | null; deleted: number | null };
  /** The line monitor's state, counts or drift verdict changed. */
  'monitor.changed': MonitorSummary;
  /** The line monitor scored a file, or ignored it, or could not read it. */
  'monitor.file': MonitorFileView;
}
export type EventName = keyof ApiEvents;

export interface LabelImportProblem {
  /** The file or entry the problem is about, as the source names it. */
  item: string;
  reason: string;
}

export interface LabelImportReport {
  source: string;
  format: 'mvtec' | 'coco' | 'csv' | 'json';
  /** True when the labels were written; false when a problem stopped the import before anything changed. */
  applied: boolean;
  /** Images whose label was set. */
  labelled: number;
  /** Pixel masks among them. */
  masks: number;
  /** Classes created in the project. */
  newClasses: string[];
  /** Entries naming images the project does not hold. */
  unknownImages: LabelImportProblem[];
  /** Masks whose size is not their image's, unreadable files, malformed entries. */
  problems: LabelImportProblem[];
}

export interface LabelExportReport {
  out: string;
  format: 'mvtec' | 'coco';
  images: number;
  masks: number;
  classes: string[];
  files: number;
}
export const EVENT_NAMES: readonly EventName[] = [
  'import.progress',
  'import.finished',
  'project.changed',
  'training.progress',
  'training.finished',
  'evaluation.progress',
  'evaluation.finished',
  'models.changed',
  'monitor.changed',
  'monitor.file',
];

export const FILE_KINDS = ['thumbnail', 'image', 'mask'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/** Where the renderer finds a file: by kind and content hash (the image's for thumbnail/image, the mask's for mask). */
export function fileUrl(kind: FileKind, sha256: string): string {
  return `/files/${kind}/${sha256}`;
}

/** The renderer's view of the services, whatever the transport. */
export interface WorkbenchApi {
  call<C extends Channel>(channel: C, input: ApiInput<C>): Promise<ApiResults[C]>;
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
  /** The URL of a stored file, addressed by content (see fileUrl). */
  fileUrl(kind: FileKind, sha256: string): string;
}

/** An error as it crosses a transport: a stable code and a message for people. */
export interface ApiError {
  code: string;
  message: string;
}

export function isChannel(name: unknown): name is Channel {
  return typeof name === 'string' && Object.hasOwn(API, name);
}

/** One thing `dwb check` (and the app's project health panel) found wrong, and whether --repair put it right. */
export interface CheckProblem {
  kind:
    | 'catalog-damaged'
    | 'catalog-foreign-key'
    | 'image-missing'
    | 'image-damaged'
    | 'mask-missing'
    | 'mask-damaged'
    | 'thumbnail-missing'
    | 'thumbnail-damaged'
    | 'model-file-missing'
    | 'model-file-damaged'
    | 'map-missing'
    | 'map-damaged'
    | 'orphan-file'
    | 'partial-file'
    | 'import-interrupted';
  /** The file or catalog the problem is in. */
  path: string;
  imageId?: number;
  /** One sentence: what is wrong and what to do. */
  message: string;
  repaired: boolean;
}

/** What `dwb check --repair` can put right: images from their originals, thumbnails, leftovers of killed processes. */
export const REPAIRABLE_PROBLEMS: ReadonlySet<CheckProblem['kind']> = new Set<CheckProblem['kind']>([
  'image-missing', 'image-damaged', 'thumbnail-missing', 'thumbnail-damaged', 'orphan-file', 'partial-file', 'import-interrupted',
]);

export interface ProjectCheckReport {
  root: string;
  /** True when nothing is wrong (after --repair: nothing is left wrong). */
  ok: boolean;
  repair: boolean;
  catalogOk: boolean;
  /** False when the catalog's rows cannot be read at all; the stored files were then hashed against their names. */
  rowsReadable: boolean;
  images: number;
  masks: number;
  /** Files whose bytes were hashed against their names. */
  filesHashed: number;
  problems: CheckProblem[];
  elapsedSeconds: number;
}
