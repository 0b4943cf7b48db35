// The line monitor's rows in the project catalog (schema 7): the one watched folder with its version and whether it
// is watching, and every file the monitor has seen with what became of it. The scores themselves go to the
// predictions table through the drift monitor's recordPredictions, as dwb predict's do.
import type { LineOutcome, MonitorCounts } from '../../shared/monitor.js';
import type { Catalog } from '../store/catalog.js';

export interface MonitorSettings {
  folder: string;
  versionId: number | null;
  recursive: boolean;
  watching: boolean;
  startedAt: string;
  stoppedAt: string | null;
}

export type FileStatus = 'scored' | 'ignored' | 'failed' | 'existing';

export interface MonitorFileRow {
  id: number;
  folder: string;
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string | null;
  status: FileStatus;
  versionId: number | null;
  score: number | null;
  outcome: LineOutcome | null;
  reason: string | null;
  seenAt: string;
}

interface RawFile {
  id: number;
  folder: string;
  path: string;
  size: number;
  mtime_ms: number;
  sha256: string | null;
  status: FileStatus;
  version_id: number | null;
  score: number | null;
  outcome: LineOutcome | null;
  reason: string | null;
  seen_at: string;
}

const fromRaw = (r: RawFile): MonitorFileRow => ({
  id: r.id,
  folder: r.folder,
  path: r.path,
  size: r.size,
  mtimeMs: r.mtime_ms,
  sha256: r.sha256,
  status: r.status,
  versionId: r.version_id,
  score: r.score,
  outcome: r.outcome,
  reason: r.reason,
  seenAt: r.seen_at,
});

export const fileKey = (file: { path: string; size: number; mtimeMs: number }): string => `${file.path}\0${file.size}\0${file.mtimeMs}`;

export class MonitorStore {
  constructor(private readonly db: Catalog) {}

  settings(): MonitorSettings | null {
    const row = this.db.prepare('SELECT folder, version_id, recursive, watching, started_at, stopped_at FROM monitor_settings WHERE id = 1').get() as
      | { folder: string; version_id: number | null; recursive: number; watching: number; started_at: string; stopped_at: string | null }
      | undefined;
    if (!row) return null;
    return { folder: row.folder, versionId: row.version_id, recursive: row.recursive === 1, watching: row.watching === 1, startedAt: row.started_at, stoppedAt: row.stopped_at };
  }

  saveStart(folder: string, versionId: number, recursive: boolean, startedAt: string): void {
    this.db
      .prepare(
        `INSERT INTO monitor_settings (id, folder, version_id, recursive, watching, started_at, stopped_at) VALUES (1, ?, ?, ?, 1, ?, NULL)
         ON CONFLICT (id) DO UPDATE SET folder = excluded.folder, version_id = excluded.version_id, recursive = excluded.recursive,
           watching = 1, started_at = excluded.started_at, stopped_at = NULL`,
      )
      .run(folder, versionId, recursive ? 1 : 0, startedAt);
  }

  saveStopped(at: string): void {
    this.db.prepare('UPDATE monitor_settings SET watching = 0, stopped_at = ? WHERE id = 1').run(at);
  }

  /** Every file already handled in this folder, as path + size + modification time. */
  knownKeys(folder: string): Set<string> {
    const rows = this.db.prepare('SELECT path, size, mtime_ms FROM monitor_files WHERE folder = ?').all(folder) as { path: string; size: number; mtime_ms: number }[];
    return new Set(rows.map((r) => fileKey({ path: r.path, size: r.size, mtimeMs: r.mtime_ms })));
  }

  /** The file of this folder already scored with the same content, if any. */
  scoredWithHash(folder: string, sha256: string): string | null {
    return (this.db.prepare("SELECT path FROM monitor_files WHERE folder = ? AND sha256 = ? AND status = 'scored' ORDER BY id LIMIT 1").pluck().get(folder, sha256) as string | undefined) ?? null;
  }

  add(row: Omit<MonitorFileRow, 'id'>): MonitorFileRow {
    const info = this.db
      .prepare(
        `INSERT INTO monitor_files (folder, path, size, mtime_ms, sha256, status, version_id, score, outcome, reason, seen_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(row.folder, row.path, row.size, row.mtimeMs, row.sha256, row.status, row.versionId, row.score, row.outcome, row.reason, row.seenAt);
    return { ...row, id: Number(info.lastInsertRowid) };
  }

  /** Files already in the folder when watching started: remembered so they are never scored. */
  addExisting(folder: string, files: readonly { path: string; size: number; mtimeMs: number }[], at: string): void {
    const insert = this.db.prepare("INSERT INTO monitor_files (folder, path, size, mtime_ms, status, seen_at) VALUES (?, ?, ?, ?, 'existing', ?)");
    this.db.transaction(() => files.forEach((f) => insert.run(folder, f.path, f.size, f.mtimeMs, at)))();
  }

  counts(folder: string, since: string): Omit<MonitorCounts, 'queued' | 'settling'> {
    const row = this.db
      .prepare(
        `SELECT count(*) FILTER (WHERE status = 'scored') AS scored,
                count(*) FILTER (WHERE outcome = 'pass') AS pass,
                count(*) FILTER (WHERE outcome = 'review') AS review,
                count(*) FILTER (WHERE outcome = 'reject') AS reject,
                count(*) FILTER (WHERE status = 'ignored') AS ignored,
                count(*) FILTER (WHERE status = 'failed') AS failed
         FROM monitor_files WHERE folder = ? AND seen_at >= ?`,
      )
      .get(folder, since) as Omit<MonitorCounts, 'queued' | 'settling'>;
    return row;
  }

  recent(folder: string, since: string, statuses: readonly FileStatus[], limit: number): MonitorFileRow[] {
    const rows = this.db
      .prepare(`SELECT * FROM monitor_files WHERE folder = ? AND seen_at >= ? AND status IN (${statuses.map(() => '?').join(', ')}) ORDER BY id DESC LIMIT ?`)
      .all(folder, since, ...statuses, limit) as RawFile[];
    return rows.map(fromRaw);
  }
}
