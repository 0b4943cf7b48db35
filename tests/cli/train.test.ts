// dwb train / eval / predict / models on real images with a real tiny training run (MobileNet backbone, 64×64, fast
// preset): JSON shapes, one-line errors, and a run SIGKILLed part-way that resumes from its checkpoint when the same
// command runs again, ends with exactly the parameters of an uninterrupted run, and leaves one version.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { vulkanLoaderFound } from '../../src/main/ml/engine/runtime.js';
import { Project } from '../../src/main/store/project.js';
import { TINY, writeBottleSubset } from '../helpers/bottleProject.js';
import { dwb, onlyJson } from '../helpers/cli.js';
import { datasetsAvailable, DWB, useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

async function bottleProject(dir: string): Promise<string> {
  const source = await writeBottleSubset(path.join(dir, 'src'));
  const project = await Project.create(path.join(dir, 'project'));
  await runImport(project, await planImport(source, 'mvtec'));
  project.close();
  return project.layout.root;
}

function expectOneLineError(result: { code: number | null; stdout: string; stderr: string }, pattern: RegExp) {
  expect(result.code).not.toBe(0);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const METRIC_KEYS = ['image_auroc', 'image_ap', 'image_f1max', 'pg2', 'pb2', 'pixel_auroc', 'aupro', 'pixel_ap', 'pixel_f1max'];

describe.runIf(datasetsAvailable())('dwb train, eval, predict, models', () => {
  it('trains a version and prints its evaluation; eval and predict print one JSON object of the documented shape', async () => {
    const dir = await tempDir();
    const project = await bottleProject(dir);
    const trained = await dwb(['train', '--project', project, ...TINY, '--epochs', '2', '--json']);
    expect(trained.code).toBe(0);
    const train = onlyJson(trained);
    expect(train).toMatchObject({ version: 1, resumed: false, preset: 'fast', size: { height: 64, width: 64 }, epochs: 2, regime: 'unsupervised', provider: 'cpu' });
    expect(train.counts.test).toEqual({ normal: 2, weak: 0, full: 2 });
    // progress drawn on stderr, one line per epoch off a terminal
    expect(trained.stderr).toMatch(/training epoch 1\/2 step 1\/2 · loss \d/);

    const evaluated = onlyJson(await dwb(['eval', '--project', project, '--json']));
    expect(Object.keys(evaluated).sort()).toEqual(
      [...METRIC_KEYS, 'version', 'split', 'images', 'normal', 'anomalous', 'masks', 'ms_per_image', 'provider', 'by_class'].sort(),
    );
    // one defect class: its metrics against the normal images are the split's own
    expect(evaluated.by_class).toEqual([expect.objectContaining({ defect_class: 'broken_large', anomalous: 2, masks: 2 })]);
    for (const key of ['image_auroc', 'image_ap', 'pixel_auroc', 'aupro', 'pixel_ap']) expect(evaluated.by_class[0][key]).toBeCloseTo(evaluated[key], 9);
    for (const key of METRIC_KEYS) {
      expect(evaluated[key]).toBeGreaterThanOrEqual(0);
      expect(evaluated[key]).toBeLessThanOrEqual(1);
    }
    expect(evaluated).toMatchObject({ version: 1, split: 'test', images: 4, normal: 2, anomalous: 2, masks: 2, provider: 'cpu' });
    expect(evaluated.ms_per_image).toBeGreaterThan(0);
    // eval computes the same metrics the training run stored for its test evaluation
    for (const key of METRIC_KEYS) expect(evaluated[key]).toBeCloseTo(train.test[key], 6);

    const image = path.join(dir, 'src/test/broken_large/000.png');
    const predictRun = await dwb(['predict', '--project', project, image, path.join(dir, 'src/test/good'), '--json']);
    // a machine without a Vulkan loader is not warned about it on every prediction (Dawn, when WebGPU is tried)
    if (!vulkanLoaderFound()) expect(predictRun.stderr).not.toMatch(/Vulkan/);
    const predicted = onlyJson(predictRun);
    expect(predicted).toMatchObject({ version: 1, threshold: expect.any(Number), threshold_source: 'validation-normal-q99' });
    expect(predicted.predictions).toHaveLength(3);
    const [first] = predicted.predictions;
    expect(first).toMatchObject({ path: image, score: expect.any(Number), label: expect.stringMatching(/^(normal|anomalous)$/) });
    expect(first.label).toBe(first.score >= predicted.threshold ? 'anomalous' : 'normal');
    // the heat-map is a PNG at the image's own size
    expect(await sharp(first.heatmap).metadata()).toMatchObject({ format: 'png', width: 900, height: 900 });
    // predicting a project image's file gives the score its evaluation stored
    const stored = (await Project.open(project).then((p) => {
      const id = p.images.list({ split: 'test', labelState: 'anomalous' })[0]!.id;
      const score = p.models.evaluation(1, 'test')!.perImage.find((i) => i.imageId === id)!.score;
      p.close();
      return score;
    }));
    expect(first.score).toBeCloseTo(stored, 5);

    const listed = onlyJson(await dwb(['models', '--project', project, '--json']));
    expect(listed.versions).toHaveLength(1);
    expect(listed.versions[0]).toMatchObject({ id: 1, preset: 'fast', regime: 'unsupervised', testMetrics: { image_auroc: evaluated.image_auroc } });
  });

  it('fails with one line that says what was wrong and what to do', async () => {
    const dir = await tempDir();
    const project = await bottleProject(dir);
    expectOneLineError(await dwb(['train', '--project', project]), /^dwb train: dwb train needs --backbone <onnx>/);
    expectOneLineError(await dwb(['train', '--project', project, ...TINY, '--preset', 'turbo']), /unknown preset "turbo"; use fast or paper/);
    expectOneLineError(await dwb(['train', '--project', project, ...TINY, '--size', 'big']), /--size takes HxW in pixels/);
    expectOneLineError(await dwb(['train', '--project', project, ...TINY, '--size', '100x100']), /must be a multiple of 32/);
    expectOneLineError(await dwb(['train', '--project', project, '--backbone', path.join(dir, 'src/train/good/000.png')]), /is not a loadable ONNX model.*give an ONNX feature extractor/);
    expectOneLineError(await dwb(['train', '--project', project, '--backbone', path.join(dir, 'missing.onnx')]), /cannot read the backbone/);
    expectOneLineError(await dwb(['eval', '--project', project, '--json']), /^dwb eval: this project has no trained model yet; train one first/);
    expectOneLineError(await dwb(['predict', '--project', project, path.join(dir, 'nothing.png')]), /nothing.png does not exist; give image files or folders/);
    expectOneLineError(await dwb(['eval', '--project', project, '--model', 'latest']), /--model takes a model version such as v3/);
    // nothing was recorded by the refused runs
    const p = await Project.open(project);
    expect(p.runs.list()).toEqual([]);
    p.close();
  });

  it('cancels on Ctrl-C with its checkpoint kept, and says how to resume', async () => {
    const dir = await tempDir();
    const project = await bottleProject(dir);
    const child = spawn(process.execPath, [DWB, 'train', '--project', project, ...TINY, '--epochs', '200'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await waitFor(() => /training epoch 2\/200/.test(stderr), 60_000);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/training cancelled; its checkpoint is kept \(run [\w-]+\): run the same command again to resume/);
    const p = await Project.open(project);
    const [run] = p.runs.list();
    expect(run).toMatchObject({ status: 'cancelled', versionId: null });
    expect(existsSync(path.join(project, 'runs', run!.id, 'checkpoint.ckpt'))).toBe(true);
    expect(p.models.list()).toEqual([]);
    p.close();
  });

  it('resumes a run killed with SIGKILL when the same command runs again; it ends as an uninterrupted run does, with one version', async () => {
    const dir = await tempDir();
    const project = await bottleProject(dir);
    const args = ['train', '--project', project, ...TINY, '--epochs', '20', '--json'];
    const child = spawn(process.execPath, [DWB, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const runs = path.join(project, 'runs');
    // kill it once its first checkpoint exists, part-way through training
    await waitFor(async () => {
      const [run] = await readdir(runs).catch(() => [] as string[]);
      return run !== undefined && existsSync(path.join(runs, run, 'checkpoint.ckpt'));
    }, 60_000);
    child.kill('SIGKILL');
    await exited;
    expect(stderr).not.toMatch(/finishing/);
    const killed = await Project.open(project);
    expect(killed.models.list()).toEqual([]);
    const [run] = killed.runs.list();
    expect(killed.runs.statusOf(run!)).toBe('interrupted');
    killed.close();

    const again = await dwb(args);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`resuming training run ${run!.id} \\(interrupted\\) from its last checkpoint`));
    const resumed = onlyJson(again);
    expect(resumed).toMatchObject({ runId: run!.id, version: 1, resumed: true, epochs: 20 });

    const other = await bottleProject(path.join(dir, 'uninterrupted'));
    const straight = onlyJson(await dwb(['train', '--project', other, ...TINY, '--epochs', '20', '--json']));
    const after = await Project.open(project);
    const reference = await Project.open(other);
    try {
      expect(after.models.list()).toHaveLength(1);
      expect(after.runs.get(run!.id)).toMatchObject({ status: 'completed', versionId: 1 });
      expect(existsSync(path.join(runs, run!.id))).toBe(false);
      expect(after.models.parametersSha256(1)).toBe(reference.models.parametersSha256(straight.version));
      for (const key of METRIC_KEYS) expect(resumed.test[key]).toBe(straight.test[key]);
    } finally {
      after.close();
      reference.close();
    }
  }, 180_000);
});
