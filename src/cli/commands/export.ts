import { exportModelVersion } from '../../main/deploy/exportModel.js';
import { printJson, type Command } from '../command.js';
import { UsageError } from '../errors.js';
import { parsePositiveInt, parseVersion, requireProject } from '../modelArgs.js';
import { openProject } from '../openProject.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a model version as one ONNX file (camera image in; score, map, label, mask out) with its metadata and golden images',
  usage: 'dwb export --project <dir> [--model <version>] --out <file.onnx> [--golden N] [--json]',
  examples: ['dwb export --project ~/inspection/tiles --out /mnt/line/tiles-v3.onnx', 'dwb export --project ~/inspection/tiles --model v2 --out tiles-v2.onnx --json'],
  options: { project: { type: 'string' }, model: { type: 'string' }, out: { type: 'string' }, golden: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: 0,
  async run(values, _positionals, ctx) {
    const root = requireProject(values, 'export');
    if (typeof values.out !== 'string') throw new UsageError('dwb export needs --out <file.onnx>: where to write the model for the line');
    const versionId = parseVersion(values.model);
    const golden = parsePositiveInt(values.golden, '--golden', 0);
    const project = await openProject(root, ctx);
    try {
      const result = await exportModelVersion(project, { ...(versionId !== undefined ? { versionId } : {}), out: values.out, ...(golden !== undefined ? { golden } : {}) });
      if (values.json) return printJson(ctx, result);
      const t = result.thresholds;
      ctx.out(`model v${result.versionId} → ${result.file} (${(result.bytes / 1e6).toFixed(1)} MB)\n`);
      ctx.out(`  metadata and golden outputs: ${result.metadataFile}; golden images: ${result.goldenDir}\n`);
      ctx.out(`  thresholds${t.derivedNow ? ' (derived now from validation with the default targets: miss ≤ 1%, false reject ≤ 2%)' : ''}: review ${t.review.toPrecision(6)}, reject ${t.reject.toPrecision(6)}, pixel ${t.pixel.toPrecision(6)} (${t.basis})\n`);
      ctx.out(`  parity with the workbench on ${result.parity.images} golden images: max |Δscore| ${result.parity.maxScoreDiff.toExponential(1)}, max |Δmap| ${result.parity.maxMapDiff.toExponential(1)}\n`);
    } finally {
      project.close();
    }
  },
};
