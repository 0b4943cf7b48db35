// Trainer benchmark (figures, not asserts). For each shared dataset (DWB_DATASETS, default ../shared/datasets): import
// into a temporary project, train a preset (fast unless asked: `paper` is for a GPU) on its whole train split with
// `dwb train` in a child process (so its peak RSS is the run's alone), evaluate on the test split: every metric,
// training wall time, inference ms/image.
// Then the supervision ladder on magnetic_tile: a fixed, seeded set of anomalous test images is moved out of the test
// split into training, and four models are trained — (a) unsupervised (the moved images unlabelled, so unused),
// (b) the moved images labelled anomalous at image level (weak), (c) half of them with their masks, (d) all with
// masks — and compared on the same remaining test images.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runImport } from '../main/import/importer.js';
import { planImport } from '../main/import/sources.js';
import { assignValidationSplit, splitRank } from '../main/import/validationSplit.js';
import { Project } from '../main/store/project.js';
import type { Preset } from '../main/ml/ssn/types.js';
import type { EvaluationMetrics, SnapshotCounts } from '../shared/models.js';

const run = promisify(execFile);
const APP_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DWB = path.join(APP_ROOT, 'bin/dwb.js');

export const LADDER_DATASET = 'magnetic_tile';
export const LADDER_IMAGES = 60;
export const LADDER_SEED = 7;
export const LADDER_RUNGS = ['unsupervised', 'weak', 'half-masks', 'all-masks'] as const;
export type Rung = (typeof LADDER_RUNGS)[number];

export interface TrainerBenchOptions {
  datasets: string;
  backbone: string;
  /** Run only this dataset (and the ladder only if it is the ladder's dataset). */
  dataset?: string;
  ladder: 'with' | 'only' | 'without';
  /** Override the preset's epochs (quick looks; the figures of record use the preset). */
  epochs?: number;
  seed: number;
  /** The preset trained (default fast). */
  preset?: Preset;
}

export type TestFigures = Partial<EvaluationMetrics> & { ms_per_image: number; provider: string; images: number };

export interface TrainFigures {
  version: number;
  trainSeconds: number;
  wallSeconds: number;
  peakRssMb: number;
  provider: string;
  epochs: number;
  regime: string;
  counts: SnapshotCounts;
  test: TestFigures;
}

export interface DatasetFigures extends TrainFigures {
  dataset: string;
  importSeconds: number;
}

export interface LadderFigures {
  dataset: string;
  moved: number;
  seed: number;
  testImages: number;
  rungs: (TrainFigures & { rung: Rung })[];
}

export interface TrainerBenchResult {
  cpu: { model: string; cores: number; loadAverage: number[] };
  backbone: string;
  preset: Preset;
  datasets: DatasetFigures[];
  ladder: LadderFigures | null;
}

/** What `dwb train --json` prints: the figures, with the test evaluation null when there was no test split. */
type TrainJson = Omit<TrainFigures, 'test'> & { test: TestFigures | null };

async function dwbTrain(project: string, options: TrainerBenchOptions, log: (s: string) => void): Promise<TrainFigures> {
  const args = [DWB, 'train', '--project', project, '--backbone', options.backbone, '--preset', options.preset ?? 'fast', '--seed', String(options.seed), '--restart', '--json'];
  if (options.epochs !== undefined) args.push('--epochs', String(options.epochs));
  const child = run(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 });
  // relay the child's progress lines (one per epoch off a terminal)
  child.child.stderr?.on('data', (d: Buffer) => log(d.toString().replace(/^/gm, '    ')));
  const { stdout } = await child;
  const result = JSON.parse(stdout) as TrainJson;
  if (!result.test) throw new Error(`training on ${project} gave no test evaluation`);
  return { ...result, test: result.test };
}

async function importDataset(dir: string, root: string): Promise<{ project: Project; seconds: number }> {
  const started = performance.now();
  const project = await Project.create(root, { name: `bench ${path.basename(dir)}` });
  const report = await runImport(project, await planImport(dir, 'mvtec'));
  if (report.status !== 'completed') throw new Error(`import of ${dir} did not complete`);
  // The model trains on every train/good image, as the official figures beside it do: a project holds a fifth of them
  // out for thresholds and drift, which the benchmark does not set (magnetic_tile: 286 images, not 229).
  assignValidationSplit(project, { fraction: 0 });
  return { project, seconds: (performance.now() - started) / 1000 };
}

export async function listDatasets(root: string): Promise<string[]> {
  const names = await readdir(root).catch(() => {
    throw new Error(`no datasets at ${root}; set DWB_DATASETS to the folder that holds them`);
  });
  return names.filter((n) => existsSync(path.join(root, n, 'train'))).sort();
}

/** The ladder's images: anomalous test images ranked by a seeded hash of their content, the first `count`. */
export function ladderSelection(project: Project, count: number, seed: number) {
  const anomalous = project.images.list({ split: 'test', labelState: 'anomalous' }).filter((i) => i.maskSha256);
  if (anomalous.length < count) throw new Error(`the ladder needs ${count} anomalous test images with masks; found ${anomalous.length}`);
  return anomalous
    .map((image) => ({ image, rank: splitRank(seed, image.sha256) }))
    .sort((a, b) => (a.rank < b.rank ? -1 : 1))
    .slice(0, count)
    .map((r) => r.image);
}

async function ladder(dir: string, work: string, options: TrainerBenchOptions, log: (s: string) => void): Promise<LadderFigures> {
  log(`ladder on ${path.basename(dir)}: importing…\n`);
  const { project } = await importDataset(dir, path.join(work, 'ladder'));
  const root = project.layout.root;
  try {
    const moved = ladderSelection(project, LADDER_IMAGES, LADDER_SEED);
    const masks = new Map(moved.map((image) => [image.id, project.images.mask(image.maskSha256!)!]));
    project.images.setSplits(moved.map((image) => ({ id: image.id, split: 'train' })));
    const testImages = project.images.count({ split: 'test' });
    const rungs: LadderFigures['rungs'] = [];
    for (const rung of LADDER_RUNGS) {
      moved.forEach((image, index) => {
        const withMask = rung === 'all-masks' || (rung === 'half-masks' && index < LADDER_IMAGES / 2);
        if (rung === 'unsupervised') project.images.setLabel(image.id, { labelState: 'unlabeled' }, 'user');
        else project.images.setLabel(image.id, { labelState: 'anomalous', defectClass: image.defectClass }, 'user', withMask ? masks.get(image.id) : undefined);
      });
      log(`ladder (${rung}): training…\n`);
      const figures = await dwbTrain(root, options, log);
      rungs.push({ rung, ...figures });
      log(`ladder (${rung}): image AUROC ${pct(figures.test.image_auroc)}, AP ${pct(figures.test.image_ap)}, pixel AP ${pct(figures.test.pixel_ap)}\n`);
    }
    return { dataset: path.basename(dir), moved: LADDER_IMAGES, seed: LADDER_SEED, testImages, rungs };
  } finally {
    project.close();
  }
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : (v * 100).toFixed(1));

export async function benchTrainer(options: TrainerBenchOptions, log: (s: string) => void): Promise<TrainerBenchResult> {
  const names = await listDatasets(options.datasets);
  if (options.dataset && !names.includes(options.dataset)) {
    throw new Error(`no dataset "${options.dataset}" in ${options.datasets}; there are ${names.join(', ')}`);
  }
  const chosen = options.dataset ? [options.dataset] : names;
  const work = await mkdtemp(path.join(os.tmpdir(), 'dwb-bench-trainer-'));
  const result: TrainerBenchResult = {
    cpu: { model: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), loadAverage: os.loadavg() },
    backbone: path.basename(options.backbone),
    preset: options.preset ?? 'fast',
    datasets: [],
    ladder: null,
  };
  try {
    if (options.ladder !== 'only') {
      for (const name of chosen) {
        log(`${name}: importing…\n`);
        const { project, seconds } = await importDataset(path.join(options.datasets, name), path.join(work, name));
        const root = project.layout.root;
        project.close();
        log(`${name}: training the ${result.preset} preset…\n`);
        const figures = await dwbTrain(root, options, log);
        result.datasets.push({ dataset: name, importSeconds: seconds, ...figures });
        log(`${name}: image AUROC ${pct(figures.test.image_auroc)}, pixel AUROC ${pct(figures.test.pixel_auroc)}, AUPRO ${pct(figures.test.aupro)} in ${figures.trainSeconds.toFixed(0)} s\n`);
        await rm(root, { recursive: true, force: true });
      }
    }
    if (options.ladder !== 'without' && chosen.includes(LADDER_DATASET)) {
      result.ladder = await ladder(path.join(options.datasets, LADDER_DATASET), work, options, log);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  result.cpu.loadAverage = os.loadavg();
  return result;
}

export const DEFAULT_DATASETS = () => path.resolve(APP_ROOT, process.env.DWB_DATASETS ?? '../shared/datasets');
export const DEFAULT_BACKBONE = () => path.resolve(APP_ROOT, process.env.DWB_MODELS ?? '../shared/models', 'resnet50_keras_imagenet_l2l3.onnx');
