// Imports a planned set of files into a project. Per file: the bytes stream into the content-addressed store
// (hashed on the way), the full image is decoded once to make its thumbnail (which proves it intact), its mask is
// binarized and size-checked, and then its catalog row is written. A file is in the catalog only once all its
// files are on disk, so a run killed at any point leaves a consistent project, and running the same import again
// finishes the job: what is already there is recognized by its hash and counted as a duplicate.
import { existsSync } from 'node:fs';
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
      .prepare(`INSERT INTO import_runs (source, layout, started_at, status) VALUES (?, ?, ?, 'running')`)
      .run(plan.source, plan.layout, new Date().toISOString()).lastInsertRowid,
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
    flush();
    finishRun(project, runId, 'failed', null);
    throw error;
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

/** Everything that can fail for one file happens here; a failure skips that file with its reason. */
async function prepare(project: Project, item: ImportItem): Promise<Prepared> {
  try {
    const format = await sniffFormat(item.path);
    if (format !== 'png' && format !== 'jpeg' && format !== 'tiff' && format !== 'bmp') {
      return skip(item, `unsupported format (${format}); the workbench imports PNG, JPEG, BMP and TIFF`);
    }
    const info = await probeImage(item.path);
    const blob = await project.imageFiles.putFile(item.path, FILE_EXTENSION[format]);
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
    };
    if (project.images.idBySha(blob.sha256) !== undefined) return { kind: 'ready', image, item };
    const thumbnail = project.thumbnailPath(image);
    // A thumbnail already on disk means an earlier, interrupted run decoded this very content in full.
    if (!existsSync(thumbnail)) await writeThumbnail(blob.path, format, thumbnail);
    if (!item.maskPath) return { kind: 'ready', image, item };
    const mask = await readBinaryMask(item.maskPath, info).catch((error: Error) => {
      throw error instanceof MaskError ? new MaskError(`mask ${item.maskPath}: ${error.message}`) : error;
    });
    return { kind: 'ready', image, item, mask: await project.storeMask(mask) };
  } catch (error) {
    if (error instanceof ImageDecodeError || error instanceof MaskError) return skip(item, error.message);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      return skip(item, `cannot read the file (${code}); check that it exists and is readable`);
    }
    throw error;
  }
}

function skip(item: ImportItem, reason: string): Prepared {
  return { kind: 'skipped', skipped: { path: item.path, reason } };
}
