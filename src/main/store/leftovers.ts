// What killed processes leave behind in a project: partial files in the stores' .incoming folders, thumbnail
// .part files, blobs no catalog row names, and import runs still marked running. Found here for both the quiet
// clean-up at every open and `dwb check`. A temporary file carries its writer's process id, so a leftover of a dead
// process is told from the work of a live one (another window on the same project) without waiting for it to age.
import { readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { temporaryWriter } from '../fs/atomicFile.js';
import { hasTable, type Catalog } from './catalog.js';
import type { ProjectLayout } from './projectLayout.js';

/** Files older than this are leftovers whoever wrote them (a process on another machine sharing the folder). */
export const STALE_MS = 60 * 60 * 1000;
/** An unreferenced blob younger than this may be an import's file whose row is about to be written. */
const FRESH_BLOB_MS = 60 * 1000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function writerGone(name: string): boolean {
  const pid = temporaryWriter(name);
  return pid !== null && pid !== process.pid && !processAlive(pid);
}

export interface Leftover {
  path: string;
  kind: 'partial-file' | 'orphan-blob';
}

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => [] as string[]);
}

/** Partial files of dead writers (or old ones); with `all`, every partial file not this process's own. */
export async function partialFiles(layout: ProjectLayout, all = false): Promise<Leftover[]> {
  const found: Leftover[] = [];
  const now = Date.now();
  const consider = async (file: string) => {
    const name = path.basename(file);
    if (!name.endsWith('.part') || temporaryWriter(name) === process.pid) return;
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return;
    if (all || writerGone(name) || now - info.mtimeMs > STALE_MS) found.push({ path: file, kind: 'partial-file' });
  };
  // the model and map stores write through the same blob store: their parts are leftovers alike
  for (const store of [layout.images, layout.masks, layout.models, layout.maps]) {
    const incoming = path.join(store, '.incoming');
    for (const name of await entries(incoming)) await consider(path.join(incoming, name));
  }
  for (const shard of await entries(layout.thumbnails)) {
    const dir = path.join(layout.thumbnails, shard);
    for (const name of await entries(dir)) if (name.startsWith('.')) await consider(path.join(dir, name));
  }
  return found;
}

/** Every file of the mask store a row names: binary masks, and indexed (class per pixel) masks from schema 3 on. */
export function maskFilesQuery(db: Catalog): string {
  return hasTable(db, 'class_masks') ? 'SELECT sha256 FROM masks UNION SELECT sha256 FROM class_masks ORDER BY 1' : 'SELECT sha256 FROM masks ORDER BY 1';
}

/** Every file of the model store a row names: versions' graphs, parameters and backbones, and runs' backbones. */
function modelFiles(db: Catalog): string[] {
  const named: string[] = [];
  if (hasTable(db, 'model_versions')) {
    named.push(...(db.prepare('SELECT graph_sha256 FROM model_versions UNION SELECT parameters_sha256 FROM model_versions UNION SELECT backbone_sha256 FROM model_versions').pluck().all() as string[]));
  }
  if (hasTable(db, 'training_runs')) {
    named.push(...(db.prepare("SELECT json_extract(request, '$.backbone.sha256') FROM training_runs").pluck().all() as string[]));
  }
  return named;
}

/** Every file of the map store a row names: the anomaly maps of recorded evaluations. */
function mapFiles(db: Catalog): string[] {
  return hasTable(db, 'evaluation_images') ? (db.prepare('SELECT DISTINCT map_sha256 FROM evaluation_images').pluck().all() as string[]) : [];
}

/**
 * Blob files that no catalog row names. In the image and mask stores, older than a minute unless `all` (an import
 * writes each file just before its row). In the model and map stores, older than an hour whatever `all` says: a
 * training run stores its backbone copy before its row and a version its graph and parameters before its row, and an
 * evaluation stores every map before the rows that name them, for as long as it runs, in a process this one cannot see.
 */
export async function orphanBlobs(layout: ProjectLayout, db: Catalog, all = false): Promise<Leftover[]> {
  const importAge = all ? 0 : FRESH_BLOB_MS;
  const stores = [
    { dir: layout.images, named: new Set(db.prepare('SELECT sha256 FROM images').pluck().all() as string[]), minAgeMs: importAge },
    { dir: layout.masks, named: new Set(db.prepare(maskFilesQuery(db)).pluck().all() as string[]), minAgeMs: importAge },
    { dir: layout.models, named: new Set(modelFiles(db)), minAgeMs: STALE_MS },
    { dir: layout.maps, named: new Set(mapFiles(db)), minAgeMs: STALE_MS },
  ];
  const found: Leftover[] = [];
  const now = Date.now();
  for (const { dir, named, minAgeMs } of stores) {
    for (const shard of await entries(dir)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      for (const name of await entries(path.join(dir, shard))) {
        const sha = /^([0-9a-f]{64})\.[a-z]+$/.exec(name)?.[1];
        if (!sha || named.has(sha)) continue;
        const file = path.join(dir, shard, name);
        const info = await stat(file).catch(() => null);
        if (info?.isFile() && now - info.mtimeMs >= minAgeMs) found.push({ path: file, kind: 'orphan-blob' });
      }
    }
  }
  return found;
}

/** Import runs marked running whose process is gone: this machine's dead processes, or any run older than a day. */
export function interruptedRuns(db: Catalog): { id: number; source: string; startedAt: string }[] {
  const rows = db.prepare(`SELECT id, source, started_at AS startedAt, pid, host FROM import_runs WHERE status = 'running'`).all() as {
    id: number;
    source: string;
    startedAt: string;
    pid: number | null;
    host: string | null;
  }[];
  const host = os.hostname();
  return rows
    .filter((r) => {
      if (r.pid === process.pid && r.host === host) return false;
      if (r.pid !== null && r.host === host) return !processAlive(r.pid);
      return r.pid === null || Date.now() - Date.parse(r.startedAt) > 24 * STALE_MS;
    })
    .map(({ id, source, startedAt }) => ({ id, source, startedAt }));
}

export function markInterrupted(db: Catalog, runs: readonly { id: number }[]): void {
  const update = db.prepare(`UPDATE import_runs SET status = 'failed', finished_at = ?, report = ? WHERE id = ? AND status = 'running'`);
  const report = JSON.stringify({ interrupted: true, reason: 'the process ended before the import finished; run the same import again to finish it (what it imported is kept)' });
  db.transaction(() => {
    for (const run of runs) update.run(new Date().toISOString(), report, run.id);
  })();
}

/** Whether an import may be writing to the project right now (a live run on this machine, or one not yet known dead). */
export function importMayBeRunning(db: Catalog): boolean {
  const running = db.prepare(`SELECT count(*) FROM import_runs WHERE status = 'running'`).pluck().get() as number;
  return running > interruptedRuns(db).length;
}
