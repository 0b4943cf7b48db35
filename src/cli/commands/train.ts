import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { MlWorker } from '../../main/ml/jobs/mlWorker.js';
import type { TrainingOptions } from '../../main/ml/jobs/trainingRun.js';
import { takeSnapshot } from '../../main/store/datasetSnapshot.js';
import type { TrainingRunRow } from '../../main/store/trainingRuns.js';
import { CancelledError } from '../../shared/errors.js';
import { PRESETS, regimeOf, type TrainingProgressEvent } from '../../shared/models.js';
import { printJson, type Command, type CommandContext } from '../command.js';
import { UsageError } from '../errors.js';
import { formatDuration } from '../format.js';
import { parsePositiveInt, parsePreset, parseSize, parseVersion, percent, progressLine, requireProject } from '../modelArgs.js';
import { openProject } from '../openProject.js';

async function fileSha256(file: string): Promise<string | null> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch {
    return null;
  }
  return hash.digest('hex');
}

/** Why an unfinished run does not match what was asked now; null when it may be resumed. */
async function mismatch(run: TrainingRunRow, asked: Partial<TrainingOptions>): Promise<string | null> {
  const { config, preset, backbone } = run.request;
  if (asked.preset && asked.preset !== preset) return `preset ${preset}`;
  if (asked.epochs !== undefined && asked.epochs !== config.epochs) return `${config.epochs} epochs`;
  if (asked.seed !== undefined && asked.seed !== config.seed) return `seed ${config.seed}`;
  if (asked.size && (asked.size.height !== config.size.height || asked.size.width !== config.size.width)) return `size ${config.size.height}x${config.size.width}`;
  if (asked.parentId !== undefined && asked.parentId !== run.request.parentId) return `warm start from ${run.request.parentId ?? 'nothing'}`;
  if (asked.backbone && (await fileSha256(asked.backbone)) !== backbone.sha256) return `backbone ${backbone.name}`;
  return null;
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a defect model on the project’s labelled images (Ctrl-C keeps a checkpoint; run again to resume)',
  usage: `dwb train --project <dir> --backbone <onnx> [--preset ${PRESETS.join('|')}] [--epochs N] [--size HxW] [--seed S] [--from <version>] [--restart] [--json]`,
  examples: [
    'dwb train --project ~/inspection/tiles --backbone ../shared/models/resnet50_keras_imagenet_l2l3.onnx',
    'dwb train --project ~/inspection/rails --backbone resnet50.onnx --size 256x640 --epochs 20 --json',
  ],
  options: {
    project: { type: 'string' },
    backbone: { type: 'string' },
    preset: { type: 'string' },
    epochs: { type: 'string' },
    size: { type: 'string' },
    seed: { type: 'string' },
    from: { type: 'string' },
    restart: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  allowPositionals: 0,
  async run(values, _positionals, ctx) {
    const root = requireProject(values, 'train');
    const preset = parsePreset(values.preset);
    const epochs = parsePositiveInt(values.epochs, '--epochs');
    const size = parseSize(values.size);
    const seed = parsePositiveInt(values.seed, '--seed', 0);
    const parentId = parseVersion(values.from, '--from');
    const backbone = typeof values.backbone === 'string' ? values.backbone : undefined;
    const asked: Partial<TrainingOptions> = {
      ...(backbone ? { backbone } : {}),
      ...(preset ? { preset } : {}),
      ...(epochs !== undefined ? { epochs } : {}),
      ...(size ? { size } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(parentId !== undefined ? { parentId } : {}),
    };

    const project = await openProject(root, ctx);
    let start: { options: TrainingOptions } | { runId: string };
    let resumed: TrainingRunRow | null = null;
    try {
      const unfinished = values.restart ? undefined : project.runs.latestResumable();
      const conflict = unfinished ? await mismatch(unfinished, asked) : null;
      if (unfinished && conflict === null) {
        resumed = unfinished;
        start = { runId: unfinished.id };
        const changed = takeSnapshot(project.db).sha256 !== unfinished.request.snapshot.sha256;
        ctx.err(
          `resuming training run ${unfinished.id} (${project.runs.statusOf(unfinished)}) from its last checkpoint` +
            `${changed ? '; labels changed since it started: it keeps the labels it started with (add --restart to train on the current ones)' : ''}\n`,
        );
      } else {
        if (!backbone) throw new UsageError('dwb train needs --backbone <onnx> (a feature extractor such as resnet50_keras_imagenet_l2l3.onnx)');
        if (unfinished) ctx.err(`an unfinished run ${unfinished.id} with ${conflict} was left as it is; starting a new run\n`);
        start = { options: { backbone, ...asked } };
      }
    } finally {
      project.close();
    }

    const worker = new MlWorker();
    let runId: string | null = resumed?.id ?? null;
    let lastLine = '';
    const draw = (p: TrainingProgressEvent) => {
      const line = progressLine(p);
      if (ctx.interactive) ctx.err(`\r${line}\x1b[K`);
      else {
        // off a terminal: one line per epoch or phase, not per step
        const key = `${p.phase} ${p.epoch} ${p.split ?? ''}`;
        if (key !== lastLine) ctx.err(`${line}\n`);
        lastLine = key;
      }
    };
    const started = performance.now();
    try {
      const outcome = await worker.request(
        { type: 'train', projectRoot: root, start },
        {
          signal: ctx.signal,
          onStarted: (id) => {
            runId = id;
            if (!resumed) ctx.err(`training run ${id} started\n`);
          },
          onProgress: (p) => {
            if ('runId' in p) draw(p);
          },
        },
      );
      if (ctx.interactive) ctx.err('\n');
      await report(root, outcome, resumed !== null, (performance.now() - started) / 1000, values.json === true, ctx);
    } catch (error) {
      if (ctx.interactive) ctx.err('\n');
      if (error instanceof CancelledError) {
        ctx.err(`training cancelled; its checkpoint is kept${runId ? ` (run ${runId})` : ''}: run the same command again to resume\n`);
        process.exitCode = 130;
        return;
      }
      throw error;
    } finally {
      await worker.close();
    }
  },
};

async function report(
  root: string,
  outcome: { runId: string; versionId: number },
  resumed: boolean,
  wallSeconds: number,
  json: boolean,
  ctx: CommandContext,
): Promise<void> {
  const project = await openProject(root, ctx);
  try {
    const version = project.models.require(outcome.versionId);
    const test = project.models.evaluations(version.id).find((e) => e.split === 'test') ?? null;
    const validation = project.models.evaluations(version.id).find((e) => e.split === 'val') ?? null;
    if (json) {
      printJson(ctx, {
        runId: outcome.runId,
        version: version.id,
        resumed,
        preset: version.preset,
        backbone: version.backboneName,
        size: version.size,
        epochs: version.epochs,
        seed: version.seed,
        regime: version.regime,
        counts: version.counts,
        trainSeconds: version.trainSeconds,
        wallSeconds,
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        provider: version.provider,
        featureScale: version.featureScale,
        validation: validation?.metrics ?? null,
        test: test ? { ...test.metrics, ms_per_image: test.msPerImage, provider: test.provider, images: test.images } : null,
      });
      return;
    }
    const train = version.counts.train;
    ctx.out(
      `model v${version.id}: ${version.preset} preset, ${version.backboneName}, ${version.size.height}×${version.size.width}, ${version.epochs} epochs, ` +
        `${regimeOf(train)} (${train.normal} normal, ${train.weak} weak, ${train.full} with masks), trained in ${formatDuration(version.trainSeconds)} on ${version.provider}\n`,
    );
    if (test) {
      const m = test.metrics;
      ctx.out(
        `test (${test.images} images): image AUROC ${percent(m.image_auroc)}, AP ${percent(m.image_ap)}, F1-max ${percent(m.image_f1max)}, PG2 ${percent(m.pg2)}, PB2 ${percent(m.pb2)}; ` +
          `pixel AUROC ${percent(m.pixel_auroc)}, AUPRO ${percent(m.aupro)}, pixel AP ${percent(m.pixel_ap)}; ${test.msPerImage.toFixed(1)} ms/image\n`,
      );
    }
  } finally {
    project.close();
  }
}
