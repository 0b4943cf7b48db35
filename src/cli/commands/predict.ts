import path from 'node:path';
import { driftStatus, recordPredictions, type DriftStatus } from '../../main/deploy/driftMonitor.js';
import { MlWorker } from '../../main/ml/jobs/mlWorker.js';
import type { PredictInput } from '../../main/ml/jobs/predict.js';
import { printJson, type Command } from '../command.js';
import { UsageError } from '../errors.js';
import { expandImageArgs } from '../imageArgs.js';
import { parseVersion, requireProject } from '../modelArgs.js';
import { openProject } from '../openProject.js';

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
    const files = await expandImageArgs(positionals, 'predict');
    const project = await openProject(root, ctx);
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
      // the drift monitor: record every score, then compare the recent passed parts with validation
      let drift: DriftStatus;
      let outcomes: string[];
      const monitored = await openProject(root, ctx);
      try {
        outcomes = recordPredictions(monitored, versionId, results);
        drift = await driftStatus(monitored, versionId);
      } finally {
        monitored.close();
      }
      if (drift.warn) ctx.err(`drift warning: ${drift.message}\n`);
      if (values.json) {
        printJson(ctx, {
          version: versionId,
          threshold: first.threshold,
          threshold_source: first.thresholdSource,
          predictions: results.map((r, i) => ({ path: r.path, score: r.score, label: r.label, line_label: outcomes[i], heatmap: r.heatmapPath, ms: r.ms })),
          drift,
        });
        return;
      }
      ctx.out(`model v${versionId}, threshold ${first.threshold.toFixed(4)} (${first.thresholdSource}); heat-maps in ${dir}\n`);
      for (const r of results) ctx.out(`${r.label.padEnd(9)} ${r.score.toFixed(4)}  ${r.path}\n`);
      ctx.out(`drift: ${drift.message}\n`);
    } finally {
      await worker.close();
    }
  },
};
