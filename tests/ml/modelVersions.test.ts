// Model versions in the store: the migration, immutability of a written version, evaluations as separate rows that a
// newer one replaces, and explicit deletion that removes exactly the files nothing else names. The files are real
// (the shipped MobileNet backbone, real images and masks); the store treats graph bytes as opaque content.
import { existsSync } from 'node:fs';
import { readFile, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import Database from 'better-sqlite3';
import { loadTrainedModel } from '../../src/main/ml/jobs/modelFiles.js';
import { checkProject } from '../../src/main/store/check.js';
import { takeSnapshot } from '../../src/main/store/datasetSnapshot.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src/main/store/migrations.js';
import type { NewModelVersion } from '../../src/main/store/modelVersions.js';
import { Project } from '../../src/main/store/project.js';
import { decodeTensors, encodeTensors } from '../../src/main/store/tensorFile.js';
import type { TrainingRequest } from '../../src/main/store/trainingRuns.js';
import type { ClassMetrics, EvaluationMetrics } from '../../src/shared/models.js';
import { writeMask, writeSurface } from '../helpers/images.js';
import { PROJECT_ROOT, useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();
const MODELS = path.resolve(PROJECT_ROOT, process.env.DWB_MODELS ?? '../shared/models');
const BACKBONE = path.join(MODELS, 'mobilenet_v1_keras_imagenet_s8s16.onnx');

async function smallProject(): Promise<Project> {
  const dir = await tempDir();
  const src = path.join(dir, 'src');
  for (let i = 0; i < 4; i++) await writeSurface(path.join(src, 'train/good', `${i}.png`), { seed: i, width: 40, height: 32 });
  await writeSurface(path.join(src, 'test/good/g.png'), { seed: 20, width: 40, height: 32 });
  await writeSurface(path.join(src, 'test/scratch/s.png'), { seed: 21, width: 40, height: 32 });
  await writeMask(path.join(src, 'ground_truth/scratch/s_mask.png'), 40, 32, (x, y) => (x > 10 && x < 20 && y > 5 && y < 9 ? 255 : 0));
  await writeSurface(path.join(src, 'test/dent/d.png'), { seed: 22, width: 40, height: 32 });
  const project = await Project.create(path.join(dir, 'project'));
  await runImport(project, await planImport(src, 'mvtec'));
  return project;
}

async function newVersion(project: Project, graph: Uint8Array, seed = 1): Promise<NewModelVersion> {
  const request: TrainingRequest = {
    preset: 'fast',
    config: { preset: 'fast', epochs: 2, seed, size: { height: 64, width: 64 }, batchSize: 8 },
    backbone: { sha256: await project.models.storeBackbone(BACKBONE), name: path.basename(BACKBONE), source: BACKBONE },
    parentId: null,
    snapshot: takeSnapshot(project.db),
  };
  const run = project.runs.create(request);
  return {
    runId: run.id,
    request,
    config: request.config,
    featureScale: 0.05,
    inferenceGraph: graph,
    parameters: new Map([['adaptor.weight', new Float32Array([1, 2, 3])]]),
    trainSeconds: 1.5,
    provider: 'cpu',
    metrics: { val_image_auroc: 0.9 },
  };
}

const METRICS: EvaluationMetrics = {
  image_auroc: 1, image_ap: 1, image_f1max: 1, pg2: 1, pb2: 1, pixel_auroc: 0.9, aupro: 0.8, pixel_ap: 0.5, pixel_f1max: 0.6, f1max_threshold: 0.5, normal_q99: 0.4,
};
const BY_CLASS: ClassMetrics[] = [
  { defectClass: 'crack', anomalous: 3, masks: 2, image_auroc: 0.9, image_ap: 0.8, pixel_auroc: 0.95, aupro: 0.7, pixel_ap: 0.4 },
  { defectClass: null, anomalous: 1, masks: 0, image_auroc: 1, image_ap: 1, pixel_auroc: null, aupro: null, pixel_ap: null },
];

/** A project with one version and its test evaluation of one image (its map stored). */
async function evaluatedVersion() {
  const project = await smallProject();
  const versionId = await project.models.add(await newVersion(project, Buffer.from('graph')));
  const [image] = project.images.list({ split: 'test' });
  const map = await project.models.storeMap(Buffer.from('map'));
  await project.models.addEvaluation({
    versionId, split: 'test', metrics: METRICS, byClass: BY_CLASS, msPerImage: 12, provider: 'cpu', mapWidth: 64, mapHeight: 64,
    images: [{ imageId: image!.id, labelState: 'normal', hasMask: false, score: 0.1, mapSha256: map, mapMin: 0, mapMax: 1 }],
  });
  return { project, versionId, version: project.models.require(versionId), map };
}

describe('model versions in the store', () => {
  it('migrates a project from before model versions without touching its images', async () => {
    const project = await smallProject();
    const images = project.images.list();
    project.close();
    // take the catalog back to the schema before migration 4, as a project written by an older workbench has it
    const raw = new Database(project.layout.catalog);
    // (and of the later migrations, whose tables reference model_versions)
    raw.exec('DROP TABLE IF EXISTS predictions; DROP TABLE IF EXISTS line_thresholds; DROP TABLE IF EXISTS monitor_files; DROP TABLE IF EXISTS monitor_settings;');
    raw.exec('DROP TABLE evaluation_images; DROP TABLE evaluations; DROP TABLE model_snapshot_images; DROP TABLE model_versions; DROP TABLE training_runs;');
    // and what later migrations added (5: the process that runs an import; 9: images' EXIF orientation)
    raw.exec('ALTER TABLE import_runs DROP COLUMN pid; ALTER TABLE import_runs DROP COLUMN host; ALTER TABLE images DROP COLUMN orientation;');
    const before = Math.max(...MIGRATIONS.filter((m) => m.version < 4).map((m) => m.version));
    raw.pragma(`user_version = ${before}`);
    raw.close();
    const again = await Project.open(project.layout.root);
    expect(again.db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    const tables = again.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['training_runs', 'model_versions', 'model_snapshot_images', 'evaluations', 'evaluation_images']));
    expect(again.images.list()).toEqual(images);
    expect(again.models.list()).toEqual([]);
    again.close();
  });

  it('writes a version with its files and snapshot; the version and its snapshot can never be updated', async () => {
    const project = await smallProject();
    const input = await newVersion(project, Buffer.from('graph-one'));
    const id = await project.models.add(input);
    const version = project.models.require(id);
    expect(version).toMatchObject({
      preset: 'fast',
      backboneName: 'mobilenet_v1_keras_imagenet_s8s16.onnx',
      size: { height: 64, width: 64 },
      epochs: 2,
      regime: 'unsupervised',
      counts: { train: { normal: 3, weak: 0, full: 0 }, val: { normal: 1, weak: 0, full: 0 }, test: { normal: 1, weak: 1, full: 1 } },
      featureScale: 0.05,
      trainingMetrics: { val_image_auroc: 0.9 },
    });
    expect(existsSync(project.models.graphPath(version))).toBe(true);
    expect(existsSync(project.models.backbonePath(version.backboneSha256))).toBe(true);
    const params = decodeTensors(await readFile(project.models.parametersPath(project.models.parametersSha256(id))));
    expect([...params.get('adaptor.weight')!]).toEqual([1, 2, 3]);
    expect(project.models.snapshotImages(id)).toHaveLength(7);
    expect(project.runs.get(input.runId)).toMatchObject({ status: 'completed', versionId: id });
    // lists of runs stay light (no image list); one run has its whole snapshot
    expect(project.runs.get(input.runId)!.request.snapshot.images).toHaveLength(7);
    expect(project.runs.list()[0]).toMatchObject({ id: input.runId, request: { snapshot: { images: [], sha256: input.request.snapshot.sha256 } } });
    // writing the same run again (a process killed between version and bookkeeping) gives the same version
    expect(await project.models.add(input)).toBe(id);
    expect(project.models.list()).toHaveLength(1);

    expect(() => project.db.prepare('UPDATE model_versions SET feature_scale = 1 WHERE id = ?').run(id)).toThrow(/never changes/);
    expect(() => project.db.prepare(`UPDATE model_snapshot_images SET label_state = 'normal' WHERE version_id = ?`).run(id)).toThrow(/never changes/);
    // labels changed after training do not change the snapshot
    const [scratch] = project.images.list({ defectClass: 'scratch' });
    project.images.setLabel(scratch!.id, { labelState: 'normal' }, 'user');
    expect(project.models.snapshotImages(id).find((i) => i.imageId === scratch!.id)).toMatchObject({ labelState: 'anomalous' });
    project.close();
  });

  it('keeps one evaluation per version and split, and deletes a version only when asked, with its unshared files', async () => {
    const project = await smallProject();
    const shared = Buffer.from('same-graph');
    const a = await project.models.add(await newVersion(project, shared, 1));
    const b = await project.models.add(await newVersion(project, shared, 2));
    const c = await project.models.add(await newVersion(project, Buffer.from('other-graph'), 3));
    const [image] = project.images.list({ split: 'test' });
    const mapA = await project.models.storeMap(Buffer.from('map-a'));
    const mapShared = await project.models.storeMap(Buffer.from('map-shared'));
    const evaluate = (versionId: number, maps: string[]) =>
      project.models.addEvaluation({
        versionId, split: 'test', metrics: METRICS, byClass: BY_CLASS, msPerImage: 12, provider: 'cpu', mapWidth: 64, mapHeight: 64,
        images: maps.map((mapSha256, i) => ({ imageId: image!.id + i, labelState: 'normal', hasMask: false, score: 0.1, mapSha256, mapMin: 0, mapMax: 1 })),
      });
    await evaluate(a, [mapA, mapShared]);
    await evaluate(b, [mapShared]);
    const second = await evaluate(a, [mapShared]);
    // the newer evaluation replaced the older one, and the map only the old one named is gone
    expect(project.models.evaluations(a)).toEqual([second]);
    expect(second.byClass).toEqual(BY_CLASS);
    expect(existsSync(project.models.mapPath(mapA))).toBe(false);
    expect(project.models.evaluation(a, 'test')!.perImage).toHaveLength(1);
    expect(() => project.db.prepare('UPDATE evaluations SET ms_per_image = 1').run()).toThrow(/never changes/);
    expect(project.models.list().map((v) => v.id)).toEqual([c, b, a]);
    expect(project.models.list().find((v) => v.id === a)!.testMetrics).toEqual(METRICS);

    project.models.setActive(a);
    const graphA = project.models.graphPath(project.models.require(a));
    const graphC = project.models.graphPath(project.models.require(c));
    await project.models.delete(a);
    expect(project.models.get(a)).toBeUndefined();
    expect(project.models.activeId()).toBeNull();
    expect(existsSync(graphA)).toBe(true); // b still names the same graph
    expect(existsSync(project.models.mapPath(mapShared))).toBe(true); // b's evaluation still names it
    await project.models.delete(b);
    expect(existsSync(graphA)).toBe(false);
    expect(existsSync(project.models.mapPath(mapShared))).toBe(false);
    expect(project.db.prepare('SELECT count(*) FROM evaluations').pluck().get()).toBe(0);
    expect(project.db.prepare('SELECT count(*) FROM model_snapshot_images WHERE version_id IN (?, ?)').pluck().get(a, b)).toBe(0);
    const backbone = project.models.backbonePath(project.models.require(c).backboneSha256);
    await project.models.delete(c);
    expect(existsSync(graphC)).toBe(false);
    expect(existsSync(backbone)).toBe(false);
    await expect(project.models.delete(c)).rejects.toThrow(/no trained model yet/);
    project.close();
  });

  it("dwb check and the clean-up at every open know the model and map stores: files a row names stay, an unnamed one goes once an hour old", async () => {
    const { project, versionId, version, map } = await evaluatedVersion();
    // a map that an evaluation running in another process has stored but not yet recorded, and files that killed
    // processes left an hour ago in both stores
    const pending = project.models.mapPath(await project.models.storeMap(Buffer.from('pending')));
    const leftMap = project.models.mapPath(await project.models.storeMap(Buffer.from('left')));
    const leftGraph = project.models.files.pathFor((await project.models.files.putBuffer(Buffer.from('left graph'), 'onnx')).sha256, 'onnx');
    const hourAgo = new Date(Date.now() - 61 * 60 * 1000);
    for (const file of [leftMap, leftGraph]) await utimes(file, hourAgo, hourAgo);
    const named = [
      project.models.graphPath(version),
      project.models.parametersPath(project.models.parametersSha256(versionId)),
      project.models.backbonePath(version.backboneSha256),
      project.models.mapPath(map),
    ];
    for (const file of named) await utimes(file, hourAgo, hourAgo);
    const root = project.layout.root;
    project.close();

    const report = await checkProject(root);
    expect(report.problems.map((p) => [p.kind, p.path]).sort()).toEqual([['orphan-file', leftGraph], ['orphan-file', leftMap]].sort());
    const reopened = await Project.open(root);
    for (const file of [leftMap, leftGraph]) expect(existsSync(file)).toBe(false);
    for (const file of [...named, pending]) expect(existsSync(file)).toBe(true);
    reopened.close();
    expect((await checkProject(root)).ok).toBe(true);
  });

  it("dwb check hashes the versions' files and their evaluations' maps, and names the version a damaged one belongs to", async () => {
    const { project, versionId, version, map } = await evaluatedVersion();
    const root = project.layout.root;
    const graph = project.models.graphPath(version);
    const mapFile = project.models.mapPath(map);
    const healthy = await checkProject(root);
    expect(healthy.ok).toBe(true);
    await expect(loadTrainedModel(project, version)).resolves.toMatchObject({ featureScale: 0.05 });

    await writeFile(graph, 'bytes of another graph');
    await rm(mapFile);
    // the model code refuses the changed graph (it could still load and score wrong) and says what to do
    await expect(loadTrainedModel(project, version)).rejects.toThrow(/^the inference graph of model v1 has changed.*dwb check --project/);
    project.close();
    const report = await checkProject(root, { repair: true });
    expect(report.ok).toBe(false);
    expect(report.filesHashed).toBe(healthy.filesHashed);
    expect(report.problems).toHaveLength(2);
    expect(report.problems).toEqual(expect.arrayContaining([
      expect.objectContaining({ kind: 'model-file-damaged', path: graph, repaired: false, message: expect.stringMatching(/^the inference graph of model v1 .*delete model v1/) }),
      expect.objectContaining({ kind: 'map-missing', path: mapFile, repaired: false, message: expect.stringMatching(/model v1's test evaluation .*dwb eval --project .* --model v1 --split test/) }),
    ]));
  });

  it('stores parameters deterministically: the same tensors give the same bytes', () => {
    const one = encodeTensors(new Map([['b', new Float32Array([3])], ['a', new Float32Array([1, 2])]]));
    const two = encodeTensors(new Map([['a', new Float32Array([1, 2])], ['b', new Float32Array([3])]]));
    expect(one.equals(two)).toBe(true);
    expect([...decodeTensors(one).get('a')!]).toEqual([1, 2]);
    expect(() => decodeTensors(one.subarray(0, one.length - 2))).toThrow(/truncated/);
  });
});
