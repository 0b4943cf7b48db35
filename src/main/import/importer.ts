// Imports a planned set of files into a project. Per file: the bytes stream into the content-addressed store
// (hashed on the way), the full image is decoded once to make its thumbnail (which proves it intact), its mask is
// binarized and size-checked, and then its catalog row is written. A file is in the catalog only once all its
// files are on disk, so a run killed at any point leaves a consistent project, and running the same import again
// finishes the job: what is already there is recognized by its hash and counted as a duplicate.
import { existsSync } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { explained, explainFault, faultCode } from '../../shared/errors.js';
import type { ImportProgress, ImportReport, SkippedFile } from '../../shared/domain.js';
import { ImageDecodeError, probeImage, sniffFormat } from '../images/decode.js';
import { MaskError, readBinaryMask } from '../images/mask.js';
import { writeThumbnail } from '../images/thumbnail.js';
import type { NewImage, StoredMask } from '../store/imageRepository.js';
import { FILE_EXTENSION, type Project } from '../store/project.js';
import { RateMeter } from '../util/rateMeter.js';
import type { ImportItem, ImportPlan } from './sources.js';
import { assignValidationSplit } from './validationSplit.js';

export interface ImportOptions {
  signal?: AbortSignal;
  onProgress?: (progress: ImportProgress) => void;
  /** Files processed at once; sharp decodes on its own thread pool, so a few in flight keep every core busy. */
  concurrency?: number;
  /** Catalog rows are written in transactions of this many images. */
  batchSize?: number;
}

type Prepared = { kind: 'ready'; image: NewImage; item: ImportItem; mask?: StoredMask } | { kind: 'skipped'; skipped: SkippedFile };

const PROGRESS_INTERVAL_MS = 200;

export async function runImport(project: Project, plan: ImportPlan, options: ImportOptions = {}): Promise<ImportReport> {
  const started = performance.now();
  const concurrency = options.concurrency ?? 4;
  const batchSize = options.batchSize ?? 32;
  const runId = Number(
    project.db
      .prepare(`INSERT INTO import_runs (source, layout, started_at, status, pid, host) VALUES (?, ?, ?, 'running', ?, ?)`)
      .run(plan.source, plan.layout, new Date().toISOString(), process.pid, os.hostname()).lastInsertRowid,
  );

  const skipped: SkippedFile[] = [...plan.skipped];
  const counts = { processed: 0, imported: 0, duplicates: 0 };
  const meter = new RateMeter();
  let lastProgress = 0;
  const progress = (phase: ImportProgress['phase'], force = false) => {
    const now = performance.now();
    if (!options.onProgress || (!force && now - lastProgress < PROGRESS_INTERVAL_MS)) return;
    lastProgress = now;
    options.onProgress({
      phase,
      total: plan.items.length,
      processed: counts.processed,
      imported: counts.imported,
      duplicates: counts.duplicates,
      skipped: skipped.length,
      ratePerSecond: meter.ratePerSecond(),
      etaSeconds: meter.etaSeconds(plan.items.length - counts.processed),
    });
  };

  let batch: Extract<Prepared, { kind: 'ready' }>[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    const result = project.images.insertImported(
      batch.map((p) => ({
        image: p.image,
        label: { labelState: p.item.labelState, defectClass: p.item.defectClass },
        ...(p.mask ? { mask: p.mask } : {}),
      })),
    );
    counts.imported += result.inserted;
    counts.duplicates += result.duplicates;
    batch = [];
  };

  // Items run concurrently but are committed in plan order, so image ids follow the sorted file names.
  const results: (Prepared | undefined)[] = new Array(plan.items.length);
  let nextToCommit = 0;
  const commitReady = () => {
    while (nextToCommit < results.length && results[nextToCommit] !== undefined) {
      const result = results[nextToCommit]!;
      results[nextToCommit] = undefined;
      nextToCommit++;
      counts.processed++;
      if (result.kind === 'skipped') skipped.push(result.skipped);
      else batch.push(result);
      if (batch.length >= batchSize) flush();
    }
    meter.record(counts.processed);
    progress('importing');
  };

  progress('importing', true);
  let cursor = 0;
  let cancelled = false;
  const worker = async () => {
    while (cursor < plan.items.length) {
      if (options.signal?.aborted) {
        cancelled = true;
        return;
      }
      const index = cursor++;
      results[index] = await prepare(project, plan.items[index]!);
      commitReady();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    commitReady();
    flush();
    progress('splitting', true);
    assignValidationSplit(project);
  } catch (error) {
    // what is already complete stays; the run is recorded as failed where the disk still allows it
    try {
      flush();
    } catch {
      // the same fault again (a full disk): the images of this batch are imported by the next run
    }
    try {
      finishRun(project, runId, 'failed', null);
    } catch {
      // left 'running'; the next open of the project marks it interrupted
    }
    throw explained(error, {
      path: project.layout.root,
      retry: 'run the import again',
      kept: `nothing imported so far was lost (${counts.imported} new images are in the project; the same import run again adds the rest)`,
    });
  }

  const report: ImportReport = {
    source: plan.source,
    layout: plan.layout,
    status: cancelled ? 'cancelled' : 'completed',
    total: plan.items.length,
    imported: counts.imported,
    duplicates: counts.duplicates,
    skipped,
    warnings: plan.warnings,
    ignored: plan.ignored,
    elapsedSeconds: (performance.now() - started) / 1000,
  };
  finishRun(project, runId, report.status, report);
  progress('done', true);
  return report;
}

function finishRun(project: Project, runId: number, status: string, report: ImportReport | null): void {
  project.db
    .prepare('UPDATE import_runs SET finished_at = ?, status = ?, report = ? WHERE id = ?')
    .run(new Date().toISOString(), status, report && JSON.stringify(report), runId);
}

/** The largest file the workbench reads as one image (BMP is read whole, and Node reads at most 2 GiB at once). */
export const MAX_IMAGE_FILE_BYTES = 2 ** 31 - 1;

/** Faults of the project's disk or catalog: no other file can be imported either, so the import stops. */
function stopsTheImport(project: Project, error: unknown): boolean {
  const code = faultCode(error) ?? '';
  if (code.startsWith('SQLITE_') || code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS' || code === 'EMFILE' || code === 'ENFILE') return true;
  const at = (error as { path?: unknown }).path;
  return typeof at === 'string' && at.startsWith(project.layout.root + path.sep);
}

function unreadableReason(error: unknown): string {
  const code = faultCode(error);
  if (code === 'ENOENT') return 'the file disappeared while the import ran';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot read the file (permission denied); make it readable and import again';
  if (code === 'EISDIR') return 'a folder with an image name; nothing to import';
  if (code === 'ERR_FS_FILE_TOO_LARGE') return 'the file is larger than 2 GiB, more than the workbench reads as one image';
  return explainFault(error)?.message ?? `cannot read the file: ${(error as Error).message}`;
}

/** Everything that can fail for one file happens here; a failure skips that file with its reason. */
async function prepare(project: Project, item: ImportItem): Promise<Prepared> {
  let added: string | null = null;
  try {
    const stats = await stat(item.path);
    if (!stats.isFile()) return skip(item, 'not a regular file (a device, a pipe or a folder); nothing to import');
    if (stats.size > MAX_IMAGE_FILE_BYTES) {
      return skip(item, `the file is ${(stats.size / 2 ** 30).toFixed(1)} GiB, more than the 2 GiB the workbench reads as one image`);
    }
    const format = await sniffFormat(item.path);
    if (format !== 'png' && format !== 'jpeg' && format !== 'tiff' && format !== 'bmp') {
      return skip(item, `unsupported format (${format}); the workbench imports PNG, JPEG, BMP and TIFF`);
    }
    const info = await probeImage(item.path);
    const blob = await project.imageFiles.putFile(item.path, FILE_EXTENSION[format]);
    if (blob.added) added = blob.path;
    const image: NewImage = {
      sha256: blob.sha256,
      originalName: item.originalName,
      sourcePath: item.path,
      width: info.width,
      height: info.height,
      channels: info.channels,
      bitDepth: info.bitDepth,
      format,
      fileSize: blob.size,
      split: item.split,
      orientation: info.orientation,
    };
    if (project.images.idBySha(blob.sha256) !== undefined) return { kind: 'ready', image, item };
    const thumbnail = project.thumbnailPath(image);
    // A thumbnail already on disk means an earlier, interrupted run decoded this very content in full.
    if (!existsSync(thumbnail)) await writeThumbnail(blob.path, format, thumbnail);
    added = null; // the image is proven whole: its file stays whatever happens to its mask
    if (!item.maskPath) return { kind: 'ready', image, item };
    const mask = await readBinaryMask(item.maskPath, info).catch((error: Error) => {
      throw error instanceof MaskError ? new MaskError(`mask ${item.maskPath}: ${error.message}`) : error;
    });
    return { kind: 'ready', image, item, mask: await project.storeMask(mask) };
  } catch (error) {
    // a file this item added and no catalog row will name: removed now rather than left as an orphan
    if (added) await unlink(added).catch(() => undefined);
    if (error instanceof ImageDecodeError || error instanceof MaskError) return skip(item, error.message);
    if (stopsTheImport(project, error)) throw error;
    return skip(item, unreadableReason(error));
  }
}

function skip(item: ImportItem, reason: string): Prepared {
  return { kind: 'skipped', skipped: { path: item.path, reason } };
}
