// Training runs in the catalog: what each run was asked to do (the resolved configuration and the dataset snapshot
// taken when it started), its status, and which process runs it. A run marked running whose process is gone was
// killed: it is reported as interrupted and can be resumed from its checkpoint.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { PresetName, TrainingRunInfo, TrainingRunStatus } from '../../shared/models.js';
import { regimeOf } from '../../shared/models.js';
import type { Catalog } from './catalog.js';
import type { DatasetSnapshot } from './datasetSnapshot.js';

export interface BackboneRef {
  sha256: string;
  /** File name it was given as (shown in lists). */
  name: string;
  /** Path it was given as when training started; the project keeps its own copy by SHA-256. */
  source: string;
}

/** Everything a run needs to start or resume, fixed when it is created. */
export interface TrainingRequest {
  preset: PresetName;
  /** The trainer's resolved configuration, every value the preset fixed; backbonePath is filled in at run time. */
  config: Record<string, unknown> & { epochs: number; seed: number; size: { height: number; width: number } };
  backbone: BackboneRef;
  parentId: number | null;
  snapshot: DatasetSnapshot;
}

export interface TrainingRunRow {
  id: string;
  createdAt: string;
  updatedAt: string;
  status: Exclude<TrainingRunStatus, 'interrupted'>;
  owner: string | null;
  request: TrainingRequest;
  error: string | null;
  versionId: number | null;
}

interface Row {
  id: string;
  created_at: string;
  updated_at: string;
  status: TrainingRunRow['status'];
  owner: string | null;
  request: string;
  error: string | null;
  version_id: number | null;
}

function toRun(row: Row): TrainingRunRow {
  return {
    id: row.id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    status: row.status,
    owner: row.owner,
    request: JSON.parse(row.request) as TrainingRequest,
    error: row.error,
    versionId: row.version_id,
  };
}

/** This process, as written in a run's owner column. */
export function ownerTag(): string {
  return `${os.hostname()}:${process.pid}`;
}

/** Whether the process named by an owner tag still runs (only knowable on this host; elsewhere assume it does). */
export function ownerAlive(owner: string | null): boolean {
  if (!owner) return false;
  const at = owner.lastIndexOf(':');
  const host = owner.slice(0, at);
  const pid = Number(owner.slice(at + 1));
  if (host !== os.hostname()) return true;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class TrainingRuns {
  constructor(private readonly db: Catalog) {}

  create(request: TrainingRequest): TrainingRunRow {
    const now = new Date().toISOString();
    // sortable by time, unique without coordination
    const id = `${now.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
    this.db
      .prepare(`INSERT INTO training_runs (id, created_at, updated_at, status, owner, request) VALUES (?, ?, ?, 'running', ?, ?)`)
      .run(id, now, now, ownerTag(), JSON.stringify(request));
    return this.get(id)!;
  }

  get(id: string): TrainingRunRow | undefined {
    const row = this.db.prepare('SELECT * FROM training_runs WHERE id = ?').get(id) as Row | undefined;
    return row && toRun(row);
  }

  /**
   * The newest runs, light: their snapshots without the image list (a snapshot of a large project is megabytes, and
   * lists are read on the app's main thread); get() has the whole request.
   */
  list(limit = 50): TrainingRunRow[] {
    const rows = this.db
      .prepare(
        `SELECT id, created_at, updated_at, status, owner, json_remove(request, '$.snapshot.images') AS request, error, version_id
         FROM training_runs ORDER BY created_at DESC, id DESC LIMIT ?`,
      )
      .all(limit) as Row[];
    return rows.map((row) => {
      const run = toRun(row);
      run.request.snapshot.images = [];
      return run;
    });
  }

  /**
   * Takes a run over for this process, unless another live process runs it. Returns false when it is taken.
   * Compare-and-set in one immediate transaction, so two processes cannot both claim it.
   */
  claim(id: string): boolean {
    return this.db
      .transaction(() => {
        const run = this.get(id);
        if (!run || run.status === 'completed') return false;
        if (run.status === 'running' && run.owner !== ownerTag() && ownerAlive(run.owner)) return false;
        this.db
          .prepare(`UPDATE training_runs SET status = 'running', owner = ?, error = NULL, updated_at = ? WHERE id = ?`)
          .run(ownerTag(), new Date().toISOString(), id);
        return true;
      })
      .immediate();
  }

  finish(id: string, status: 'cancelled' | 'failed', error: string | null = null): void {
    this.db
      .prepare('UPDATE training_runs SET status = ?, owner = NULL, error = ?, updated_at = ? WHERE id = ?')
      .run(status, error, new Date().toISOString(), id);
  }

  /** Called inside the transaction that writes the run's model version. */
  complete(id: string, versionId: number): void {
    this.db
      .prepare(`UPDATE training_runs SET status = 'completed', owner = NULL, error = NULL, version_id = ?, updated_at = ? WHERE id = ?`)
      .run(versionId, new Date().toISOString(), id);
  }

  /** The status a person should see: a run marked running whose process is gone was interrupted. */
  statusOf(run: TrainingRunRow): TrainingRunStatus {
    return run.status === 'running' && !ownerAlive(run.owner) ? 'interrupted' : run.status;
  }

  /**
   * The newest run to pick up again without being asked by id: cancelled or interrupted. A failed run is left out (its
   * error would most likely repeat); it can still be resumed by id.
   */
  latestResumable(): TrainingRunRow | undefined {
    return this.list(20).find((run) => ['cancelled', 'interrupted'].includes(this.statusOf(run)));
  }

  resumable(run: TrainingRunRow): boolean {
    const status = this.statusOf(run);
    return status === 'cancelled' || status === 'failed' || status === 'interrupted';
  }

  info(run: TrainingRunRow): TrainingRunInfo {
    const { config, snapshot } = run.request;
    return {
      id: run.id,
      createdAt: run.createdAt,
      updatedAt: run.updatedAt,
      status: this.statusOf(run),
      preset: run.request.preset,
      backboneName: run.request.backbone.name,
      epochs: config.epochs,
      size: { height: config.size.height, width: config.size.width },
      seed: config.seed,
      counts: snapshot.counts,
      regime: regimeOf(snapshot.counts.train),
      versionId: run.versionId,
      error: run.error,
      resumable: this.resumable(run),
    };
  }
}
