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

const pathSchema = z
  .string()
  .trim()
  .min(1, 'a folder path is needed')
  .max(4096, 'the path is too long')
  .refine((p) => !p.includes('\0'), 'the path contains a NUL character');
const imageId = z.number().int().positive();
const empty = z.object({}).strict();

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
  /** Checks a project's catalog and files (the open project, or `dir`); `repair` fixes what can be fixed. */
  'project.check': z.object({ dir: pathSchema.optional(), repair: z.boolean().optional() }).strict(),
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
  'project.check': ProjectCheckReport;
}

export interface ApiEvents {
  'import.progress': ImportProgress & { jobId: string };
  'import.finished': { jobId: string; report: ImportReport | null; error: string | null };
  /** The open project changed (opened, closed, labels or images changed). */
  'project.changed': ProjectInfo | null;
}
export type EventName = keyof ApiEvents;
export const EVENT_NAMES: readonly EventName[] = ['import.progress', 'import.finished', 'project.changed'];

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
