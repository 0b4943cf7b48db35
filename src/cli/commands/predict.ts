import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { MlWorker } from '../../main/ml/jobs/mlWorker.js';
import type { PredictInput } from '../../main/ml/jobs/predict.js';
import { Project } from '../../main/store/project.js';
import { printJson, type Command } from '../command.js';
import { UsageError } from '../errors.js';
import { parseVersion, requireProject } from '../modelArgs.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff']);

/** Files as given; a folder stands for the images directly in it. */
async function expand(args: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    const info = await stat(arg).catch(() => null);
    if (!info) throw new UsageError(`${arg} does not exist; give image files or folders of images`);
    if (!info.isDirectory()) {
      files.push(path.resolve(arg));
      continue;
    }
    const names = (await readdir(arg)).filter((n) => IMAGE_EXTENSIONS.has(path.extname(n).toLowerCase())).sort();
    files.push(...names.map((n) => path.resolve(arg, n)));
  }
  if (files.length === 0) throw new UsageError('no images to predict: give image files or folders that hold PNG, JPEG, BMP or TIFF files');
  return files;
}

/** One heat-map name per image, unique even when two images share a name. */
function heatmapNames(files: string[], dir: string): string[] {
  const used = new Map<string, number>();
  return files.map((file) => {
    const stem = path.basename(file, path.extname(file));
    const n = (used.get(stem) ?? 0) + 1;
    used.set(stem, n);
    return path.join(dir, `${stem}${n > 1 ? `-${n}` : ''}.heatmap.png`);
  });
}

export const predictCommand: Command = {
  name: 'predict',
  summary: 'score images with a model version: score, label at its threshold, heat-map PNG',
  usage: 'dwb predict --project <dir> <images or folders…> [--model <version>] [--heatmaps <dir>] [--json]',
  examples: ['dwb predict --project ~/inspection/tiles /mnt/camera/today --json', 'dwb predict --project ~/inspection/tiles part-17.png --model v2'],
  options: { project: { type: 'string' }, model: { type: 'string' }, heatmaps: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: 100_000,
  async run(values, positionals, ctx) {
    const root = requireProject(values, 'predict');
    if (positionals.length === 0) throw new UsageError('dwb predict needs the images to score: dwb predict --project <dir> <images…>');
    const requested = parseVersion(values.model);
    const files = await expand(positionals);
    const project = await Project.open(root);
    let versionId: number;
    try {
      versionId = project.models.resolve(requested).id;
    } finally {
      project.close();
    }
    const dir = path.resolve(typeof values.heatmaps === 'string' ? values.heatmaps : path.join(root, 'heatmaps', `v${versionId}`));
    const names = heatmapNames(files, dir);
    const images: PredictInput[] = files.map((file, i) => ({ path: file, heatmapPath: names[i]! }));
    const worker = new MlWorker();
    try {
      const results = await worker.request({ type: 'predict', projectRoot: root, versionId, images }, { signal: ctx.signal });
      const first = results[0]!;
      if (values.json) {
        printJson(ctx, {
          version: versionId,
          threshold: first.threshold,
          threshold_source: first.thresholdSource,
          predictions: results.map((r) => ({ path: r.path, score: r.score, label: r.label, heatmap: r.heatmapPath, ms: r.ms })),
        });
        return;
      }
      ctx.out(`model v${versionId}, threshold ${first.threshold.toFixed(4)} (${first.thresholdSource}); heat-maps in ${dir}\n`);
      for (const r of results) ctx.out(`${r.label.padEnd(9)} ${r.score.toFixed(4)}  ${r.path}\n`);
    } finally {
      await worker.close();
    }
  },
};
