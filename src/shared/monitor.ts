// What the line monitor hands the UI: the watched folder's state and counts, each file it scored (or could not),
// the recent scores with the version's line thresholds, and the drift monitor's verdict.
import type { DriftView } from './deploy.js';

/**
 * stopped: not watching (the user stopped it, or never started); watching: the folder is reachable and new files are
 * scored; unavailable: the folder cannot be read (deleted, renamed, drive unplugged) and is looked for again every
 * few seconds; failed: watching cannot go on (the version was deleted, the model cannot be loaded) until started again.
 */
export type MonitorState = 'stopped' | 'watching' | 'unavailable' | 'failed';

export type LineOutcome = 'pass' | 'review' | 'reject';

export interface MonitorFileView {
  id: number;
  path: string;
  /** The path inside the watched folder. */
  name: string;
  status: 'scored' | 'ignored' | 'failed';
  score: number | null;
  outcome: LineOutcome | null;
  /** Why a file was ignored or failed, in plain words. */
  reason: string | null;
  at: string;
  /** A small JPEG as a data URL (scored images only; null when the file is gone). */
  thumbnail: string | null;
}

export interface MonitorCounts {
  scored: number;
  pass: number;
  review: number;
  reject: number;
  ignored: number;
  failed: number;
  /** Stable files waiting for the model. */
  queued: number;
  /** Files seen but still changing (being written). */
  settling: number;
}

export interface MonitorSummary {
  state: MonitorState;
  folder: string | null;
  versionId: number | null;
  recursive: boolean;
  /** When watching (this folder with this version) started; counts are since then. */
  startedAt: string | null;
  /** True when the project's saved watch was picked up again as the project opened. */
  resumed: boolean;
  /** One plain sentence on what the monitor is doing or what is wrong. */
  message: string;
  counts: MonitorCounts;
  thresholds: { review: number; reject: number } | null;
  drift: DriftView | null;
}

export interface MonitorStatus extends MonitorSummary {
  /** The last scored images, newest first. */
  recent: MonitorFileView[];
  /** The last ignored and unreadable files, newest first. */
  problems: MonitorFileView[];
  /** Recent scores in order (oldest first): n counts scored images since watching started. */
  scores: { n: number; score: number; outcome: LineOutcome }[];
}
