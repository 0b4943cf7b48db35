// Model versions in the catalog, and their files. A version is written once — its files (inference graph,
// parameters, backbone) land in the content-addressed models/ store before the row names them, and the row, its
// dataset snapshot and the completion of its run are one transaction — and never changes after (triggers refuse
// updates). Evaluations are separate rows; a new evaluation of a version on a split replaces the previous one.
// Deleting a version is explicit and removes the files no other version or evaluation still names.
import { unlink } from 'node:fs/promises';
import type { Split } from '../../shared/domain.js';
import { InputError } from '../../shared/errors.js';
import {
  regimeOf,
  type EvaluatedImage,
  type ScoredImage,
  type EvaluationDetail,
  type ClassMetrics,
  type EvaluationMetrics,
  type EvaluationSummary,
  type ModelSize,
  type ModelVersionDetail,
  type ModelVersionSummary,
  type PresetName,
  type SnapshotCounts,
} from '../../shared/models.js';
import type { BlobStore } from './blobStore.js';
import type { Catalog } from './catalog.js';
import type { SnapshotImage } from './datasetSnapshot.js';
import { encodeTensors } from './tensorFile.js';
import type { TrainingRequest } from './trainingRuns.js';
import { TrainingRuns } from './trainingRuns.js';

export const GRAPH_EXTENSION = 'onnx';
export const PARAMETERS_EXTENSION = 'params';
export const MAP_EXTENSION = 'png';

/** What a finished training run hands to the store. */
export interface NewModelVersion {
  runId: string;
  request: TrainingRequest;
  /** The resolved configuration as trained (backbonePath pointing at the project's copy). */
  config: Record<string, unknown>;
  featureScale: number;
  inferenceGraph: Uint8Array;
  parameters: ReadonlyMap<string, Float32Array>;
  trainSeconds: number;
  provider: string;
  metrics: Record<string, number>;
}

export interface NewEvaluation {
  versionId: number;
  split: Split;
  metrics: EvaluationMetrics;
  byClass: ClassMetrics[];
  msPerImage: number;
  provider: string;
  mapWidth: number;
  mapHeight: number;
  /** Per image; each map already stored in the maps/ store (see storeMap). */
  images: ScoredImage[];
}

interface VersionRow {
  id: number;
  created_at: string;
  run_id: string;
  parent_id: number | null;
  preset: PresetName;
  config: string;
  backbone_sha256: string;
  backbone_name: string;
  backbone_source: string;
  feature_scale: number;
  graph_sha256: string;
  parameters_sha256: string;
  snapshot_sha256: string;
  snapshot_counts: string;
  metrics: string;
  train_seconds: number;
  provider: string;
}

interface EvaluationRow {
  id: number;
  version_id: number;
  created_at: string;
  split: Split;
  metrics: string;
  by_class: string | null;
  images: number;
  ms_per_image: number;
  provider: string;
  map_width: number;
  map_height: number;
}

const ACTIVE_KEY = 'activeModelVersion';

export class ModelVersions {
  private readonly runs: TrainingRuns;

  constructor(
    private readonly db: Catalog,
    /** Inference graphs, parameters and backbones. */
    readonly files: BlobStore,
    /** Anomaly maps of evaluations. */
    readonly maps: BlobStore,
  ) {
    this.runs = new TrainingRuns(db);
  }

  graphPath(version: { graphSha256: string }): string {
    return this.files.pathFor(version.graphSha256, GRAPH_EXTENSION);
  }

  parametersPath(sha256: string): string {
    return this.files.pathFor(sha256, PARAMETERS_EXTENSION);
  }

  backbonePath(sha256: string): string {
    return this.files.pathFor(sha256, GRAPH_EXTENSION);
  }

  mapPath(sha256: string): string {
    return this.maps.pathFor(sha256, MAP_EXTENSION);
  }

  /** Copies a backbone into the project (once per content), so versions keep working when the original moves. */
  async storeBackbone(file: string): Promise<string> {
    return (await this.files.putFile(file, GRAPH_EXTENSION)).sha256;
  }

  async storeMap(png: Uint8Array): Promise<string> {
    return (await this.maps.putBuffer(png, MAP_EXTENSION)).sha256;
  }

  /**
   * Writes a version: files first, then the row, its snapshot and its run's completion in one transaction. Writing
   * the same run twice (a process killed between the two) returns the version already written.
   */
  async add(input: NewModelVersion): Promise<number> {
    const existing = this.byRun(input.runId);
    if (existing !== undefined) return existing;
    const graph = await this.files.putBuffer(input.inferenceGraph, GRAPH_EXTENSION);
    const parameters = await this.files.putBuffer(encodeTensors(input.parameters), PARAMETERS_EXTENSION);
    const { request } = input;
    if (!(await this.files.has(request.backbone.sha256, GRAPH_EXTENSION))) {
      throw new InputError('backbone-missing', `the project's copy of backbone ${request.backbone.name} is missing; train again with --backbone`);
    }
    return this.db
      .transaction(() => {
        const again = this.byRun(input.runId);
        if (again !== undefined) return again;
        const result = this.db
          .prepare(
            `INSERT INTO model_versions (created_at, run_id, parent_id, preset, config, backbone_sha256, backbone_name,
               backbone_source, feature_scale, graph_sha256, parameters_sha256, snapshot_sha256, snapshot_counts, metrics,
               train_seconds, provider)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            new Date().toISOString(),
            input.runId,
            request.parentId,
            request.preset,
            JSON.stringify(input.config),
            request.backbone.sha256,
            request.backbone.name,
            request.backbone.source,
            input.featureScale,
            graph.sha256,
            parameters.sha256,
            request.snapshot.sha256,
            JSON.stringify(request.snapshot.counts),
            JSON.stringify(input.metrics),
            input.trainSeconds,
            input.provider,
          );
        const versionId = Number(result.lastInsertRowid);
        const insert = this.db.prepare(
          `INSERT INTO model_snapshot_images (version_id, image_id, image_sha256, split, label_state, mask_sha256) VALUES (?, ?, ?, ?, ?, ?)`,
        );
        for (const image of request.snapshot.images) {
          insert.run(versionId, image.imageId, image.imageSha256, image.split, image.labelState, image.maskSha256);
        }
        if (this.runs.get(input.runId)) this.runs.complete(input.runId, versionId);
        return versionId;
      })
      .immediate();
  }

  byRun(runId: string): number | undefined {
    return (this.db.prepare('SELECT id FROM model_versions WHERE run_id = ?').get(runId) as { id: number } | undefined)?.id;
  }

  latestId(): number | undefined {
    return (this.db.prepare('SELECT max(id) AS id FROM model_versions').get() as { id: number | null }).id ?? undefined;
  }

  list(): ModelVersionSummary[] {
    const rows = this.db.prepare('SELECT * FROM model_versions ORDER BY id DESC').all() as VersionRow[];
    const active = this.activeId();
    return rows.map((row) => this.summary(row, active));
  }

  get(id: number): ModelVersionDetail | undefined {
    const row = this.db.prepare('SELECT * FROM model_versions WHERE id = ?').get(id) as VersionRow | undefined;
    if (!row) return undefined;
    return {
      ...this.summary(row, this.activeId()),
      runId: row.run_id,
      config: JSON.parse(row.config) as Record<string, unknown>,
      backboneSource: row.backbone_source,
      featureScale: row.feature_scale,
      graphSha256: row.graph_sha256,
      snapshotSha256: row.snapshot_sha256,
      trainingMetrics: JSON.parse(row.metrics) as Record<string, number>,
      evaluations: this.evaluations(id),
    };
  }

  /** The version, or an error that says which versions exist. */
  require(id: number): ModelVersionDetail {
    const version = this.get(id);
    if (version) return version;
    const ids = this.db.prepare('SELECT id FROM model_versions ORDER BY id').pluck().all() as number[];
    throw new InputError(
      'model-not-found',
      ids.length
        ? `there is no model version ${id} in this project; it has ${ids.map((i) => `v${i}`).join(', ')} (see dwb models)`
        : `this project has no trained model yet; train one first (dwb train --project <dir> --backbone <onnx>)`,
    );
  }

  /** The active version if one is set, else the newest one; an error when there is none. */
  resolve(id?: number): ModelVersionDetail {
    if (id !== undefined) return this.require(id);
    const chosen = this.activeId() ?? this.latestId();
    if (chosen === undefined) {
      throw new InputError('no-model', 'this project has no trained model yet; train one first (dwb train --project <dir> --backbone <onnx>)');
    }
    return this.require(chosen);
  }

  parametersSha256(id: number): string {
    return (this.db.prepare('SELECT parameters_sha256 FROM model_versions WHERE id = ?').pluck().get(id) as string | undefined) ?? '';
  }

  snapshotImages(id: number): SnapshotImage[] {
    return this.db
      .prepare(
        `SELECT image_id AS imageId, image_sha256 AS imageSha256, split, label_state AS labelState, mask_sha256 AS maskSha256
         FROM model_snapshot_images WHERE version_id = ? ORDER BY image_id`,
      )
      .all(id) as SnapshotImage[];
  }

  activeId(): number | null {
    const value = this.db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(ACTIVE_KEY) as string | undefined;
    const id = value === undefined ? null : (JSON.parse(value) as number | null);
    return id;
  }

  setActive(id: number | null): void {
    if (id !== null) this.require(id);
    this.setActiveUnchecked(id);
  }

  /** Deletes a version, its evaluations and snapshot, then every file of it no remaining row names. */
  async delete(id: number): Promise<{ removedFiles: number }> {
    const version = this.require(id);
    const maps = this.db
      .prepare(
        `SELECT DISTINCT map_sha256 FROM evaluation_images JOIN evaluations ON evaluations.id = evaluation_id WHERE version_id = ?`,
      )
      .pluck()
      .all(id) as string[];
    const parameters = this.parametersSha256(id);
    this.db
      .transaction(() => {
        this.db.prepare('DELETE FROM model_versions WHERE id = ?').run(id);
        if (this.activeId() === id) this.setActiveUnchecked(null);
      })
      .immediate();
    let removedFiles = 0;
    const remove = async (file: string) => {
      await unlink(file).then(
        () => removedFiles++,
        () => undefined,
      );
    };
    if (!this.modelFileReferenced(version.graphSha256)) await remove(this.graphPath(version));
    if (!this.modelFileReferenced(parameters)) await remove(this.parametersPath(parameters));
    if (!this.modelFileReferenced(version.backboneSha256) && !this.backboneOfOpenRun(version.backboneSha256)) {
      await remove(this.backbonePath(version.backboneSha256));
    }
    for (const sha of maps) if (!this.mapReferenced(sha)) await remove(this.mapPath(sha));
    return { removedFiles };
  }

  // ---- evaluations ----

  /** Records an evaluation; the previous one of the same version and split goes, with maps nothing else names. */
  async addEvaluation(input: NewEvaluation): Promise<EvaluationSummary> {
    const previous = this.db
      .prepare('SELECT id FROM evaluations WHERE version_id = ? AND split = ?')
      .pluck()
      .all(input.versionId, input.split) as number[];
    const oldMaps = previous.length
      ? (this.db
          .prepare(`SELECT DISTINCT map_sha256 FROM evaluation_images WHERE evaluation_id IN (${previous.map(() => '?').join(',')})`)
          .pluck()
          .all(...previous) as string[])
      : [];
    const id = this.db
      .transaction(() => {
        this.require(input.versionId);
        for (const old of previous) this.db.prepare('DELETE FROM evaluations WHERE id = ?').run(old);
        const result = this.db
          .prepare(
            `INSERT INTO evaluations (version_id, created_at, split, metrics, by_class, images, ms_per_image, provider, map_width, map_height)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            input.versionId,
            new Date().toISOString(),
            input.split,
            JSON.stringify(input.metrics),
            JSON.stringify(input.byClass),
            input.images.length,
            input.msPerImage,
            input.provider,
            input.mapWidth,
            input.mapHeight,
          );
        const evaluationId = Number(result.lastInsertRowid);
        const insert = this.db.prepare(
          `INSERT INTO evaluation_images (evaluation_id, image_id, label_state, has_mask, score, map_sha256, map_min, map_max)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        for (const image of input.images) {
          insert.run(evaluationId, image.imageId, image.labelState, image.hasMask ? 1 : 0, image.score, image.mapSha256, image.mapMin, image.mapMax);
        }
        return evaluationId;
      })
      .immediate();
    for (const sha of oldMaps) if (!this.mapReferenced(sha)) await unlink(this.mapPath(sha)).catch(() => undefined);
    return this.evaluationSummary(this.db.prepare('SELECT * FROM evaluations WHERE id = ?').get(id) as EvaluationRow);
  }

  evaluations(versionId: number): EvaluationSummary[] {
    const rows = this.db.prepare('SELECT * FROM evaluations WHERE version_id = ? ORDER BY id').all(versionId) as EvaluationRow[];
    return rows.map((row) => this.evaluationSummary(row));
  }

  /** The version's evaluation on a split, with every image's score and map; undefined if it was never evaluated there. */
  evaluation(versionId: number, split: Split): EvaluationDetail | undefined {
    const row = this.db
      .prepare('SELECT * FROM evaluations WHERE version_id = ? AND split = ? ORDER BY id DESC LIMIT 1')
      .get(versionId, split) as EvaluationRow | undefined;
    if (!row) return undefined;
    return { ...this.evaluationSummary(row), perImage: this.evaluatedImages(row.id) };
  }

  evaluationById(evaluationId: number): EvaluationSummary | undefined {
    const row = this.db.prepare('SELECT * FROM evaluations WHERE id = ?').get(evaluationId) as EvaluationRow | undefined;
    return row && this.evaluationSummary(row);
  }

  evaluatedImage(evaluationId: number, imageId: number): EvaluatedImage | undefined {
    return this.evaluatedImages(evaluationId, imageId)[0];
  }

  private evaluatedImages(evaluationId: number, imageId?: number): EvaluatedImage[] {
    const rows = this.db
      .prepare(
        `SELECT e.image_id AS imageId, i.sha256 AS imageSha256, e.label_state AS labelState, e.has_mask AS hasMask, e.score,
                e.map_sha256 AS mapSha256, e.map_min AS mapMin, e.map_max AS mapMax
         FROM evaluation_images e JOIN images i ON i.id = e.image_id
         WHERE e.evaluation_id = ? ${imageId === undefined ? '' : 'AND e.image_id = ?'} ORDER BY e.image_id`,
      )
      .all(...(imageId === undefined ? [evaluationId] : [evaluationId, imageId])) as (Omit<EvaluatedImage, 'hasMask'> & { hasMask: number })[];
    return rows.map((r) => ({ ...r, hasMask: r.hasMask === 1 }));
  }

  private evaluationSummary(row: EvaluationRow): EvaluationSummary {
    const counts = this.db
      .prepare(
        `SELECT sum(label_state = 'normal') AS normal, sum(label_state = 'anomalous') AS anomalous, sum(has_mask) AS masks
         FROM evaluation_images WHERE evaluation_id = ?`,
      )
      .get(row.id) as { normal: number | null; anomalous: number | null; masks: number | null };
    return {
      id: row.id,
      versionId: row.version_id,
      createdAt: row.created_at,
      split: row.split,
      images: row.images,
      normal: counts.normal ?? 0,
      anomalous: counts.anomalous ?? 0,
      masks: counts.masks ?? 0,
      msPerImage: row.ms_per_image,
      provider: row.provider,
      mapWidth: row.map_width,
      mapHeight: row.map_height,
      metrics: JSON.parse(row.metrics) as EvaluationMetrics,
      byClass: row.by_class === null ? null : (JSON.parse(row.by_class) as ClassMetrics[]),
    };
  }

  private summary(row: VersionRow, active: number | null): ModelVersionSummary {
    const config = JSON.parse(row.config) as { size: ModelSize; epochs: number; seed: number };
    const counts = JSON.parse(row.snapshot_counts) as SnapshotCounts;
    const test = this.db
      .prepare(`SELECT metrics FROM evaluations WHERE version_id = ? AND split = 'test' ORDER BY id DESC LIMIT 1`)
      .pluck()
      .get(row.id) as string | undefined;
    return {
      id: row.id,
      createdAt: row.created_at,
      preset: row.preset,
      backboneName: row.backbone_name,
      backboneSha256: row.backbone_sha256,
      size: { height: config.size.height, width: config.size.width },
      epochs: config.epochs,
      seed: config.seed,
      parentId: row.parent_id,
      counts,
      regime: regimeOf(counts.train),
      trainSeconds: row.train_seconds,
      provider: row.provider,
      active: active === row.id,
      testMetrics: test ? (JSON.parse(test) as EvaluationMetrics) : null,
    };
  }

  private setActiveUnchecked(id: number | null): void {
    this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(ACTIVE_KEY, JSON.stringify(id));
  }

  private modelFileReferenced(sha256: string): boolean {
    return (
      this.db
        .prepare('SELECT 1 FROM model_versions WHERE graph_sha256 = ? OR parameters_sha256 = ? OR backbone_sha256 = ? LIMIT 1')
        .get(sha256, sha256, sha256) !== undefined
    );
  }

  /** A run not yet finished still needs its backbone copy to resume. */
  private backboneOfOpenRun(sha256: string): boolean {
    return (
      this.db
        .prepare(`SELECT 1 FROM training_runs WHERE status != 'completed' AND json_extract(request, '$.backbone.sha256') = ? LIMIT 1`)
        .get(sha256) !== undefined
    );
  }

  private mapReferenced(sha256: string): boolean {
    return this.db.prepare('SELECT 1 FROM evaluation_images WHERE map_sha256 = ? LIMIT 1').get(sha256) !== undefined;
  }
}
