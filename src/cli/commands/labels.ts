// dwb export-labels / dwb import-labels: a project's labels out to MVTec layout or COCO, and labels made elsewhere
// (MVTec layout, COCO with RLE or polygons, CSV/JSON of image-level labels) in, matched by file name.
import { exportLabels } from '../../main/labels/exportLabels.js';
import { importLabels, type LabelFormat } from '../../main/labels/importLabels.js';
import type { LabelImportReport } from '../../shared/api.js';
import { printJson, type Command } from '../command.js';
import { UsageError } from '../errors.js';
import { openProject } from '../openProject.js';

const EXPORT_FORMATS = ['mvtec', 'coco'] as const;
const IMPORT_FORMATS = ['mvtec', 'coco', 'csv', 'json'] as const;

export const exportLabelsCommand: Command = {
  name: 'export-labels',
  summary: 'write the project\'s labels as MVTec-layout masks (plus labels.csv/json) or one COCO JSON with RLE masks',
  usage: 'dwb export-labels --project <dir> --format mvtec|coco --out <path> [--json]',
  examples: [
    'dwb export-labels --project ~/inspection/bottles --format mvtec --out ~/exports/bottles-labels',
    'dwb export-labels --project ~/inspection/bottles --format coco --out ~/exports/bottles.coco.json',
  ],
  options: { project: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: 0,
  async run(values, _positionals, ctx) {
    if (typeof values.project !== 'string') throw new UsageError('dwb export-labels needs --project <dir>');
    if (typeof values.out !== 'string') throw new UsageError('dwb export-labels needs --out <path> (a folder for mvtec, a .json file for coco)');
    const format = values.format ?? 'mvtec';
    if (!EXPORT_FORMATS.includes(format as (typeof EXPORT_FORMATS)[number])) throw new UsageError(`unknown format "${String(format)}"; use mvtec or coco`);
    const project = await openProject(values.project, ctx);
    try {
      const report = await exportLabels(project, values.out, format as 'mvtec' | 'coco');
      if (values.json) printJson(ctx, report);
      else ctx.out(`exported the labels of ${report.images} images (${report.masks} with masks, classes: ${report.classes.join(', ') || 'none'}) as ${report.format} to ${report.out}\n`);
    } finally {
      project.close();
    }
  },
};

export const importLabelsCommand: Command = {
  name: 'import-labels',
  summary: 'apply labels made elsewhere (MVTec masks folder, COCO JSON, CSV/JSON of image labels), matched by file name',
  usage: `dwb import-labels <path> --project <dir> [--format ${IMPORT_FORMATS.join('|')}] [--json]`,
  examples: [
    'dwb import-labels ~/exports/bottles-labels --project ~/inspection/bottles-2',
    'dwb import-labels ~/cvat/task-12.coco.json --project ~/inspection/bottles --format coco --json',
    'dwb import-labels ~/sheets/verdicts.csv --project ~/inspection/bottles',
  ],
  options: { project: { type: 'string' }, format: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: 1,
  async run(values, [source], ctx) {
    if (!source) throw new UsageError('dwb import-labels needs the labels to import: dwb import-labels <path> --project <dir>');
    if (typeof values.project !== 'string') throw new UsageError('dwb import-labels needs --project <dir>');
    if (values.format !== undefined && !IMPORT_FORMATS.includes(values.format as LabelFormat)) {
      throw new UsageError(`unknown format "${String(values.format)}"; use one of ${IMPORT_FORMATS.join(', ')}`);
    }
    const project = await openProject(values.project, ctx);
    try {
      const report = await importLabels(project, source, values.format ? { format: values.format as LabelFormat } : {});
      if (values.json) printJson(ctx, report);
      else ctx.out(describe(report));
      // labels that could not be applied are worth a non-zero exit, so a script notices
      if (report.unknownImages.length || report.problems.length) process.exitCode = 1;
    } finally {
      project.close();
    }
  },
};

function describe(r: LabelImportReport): string {
  const lines = [
    `imported ${r.format} labels from ${r.source}: ${r.labelled} images labelled, ${r.masks} with masks` +
      (r.newClasses.length ? `, new classes: ${r.newClasses.join(', ')}` : ''),
  ];
  if (r.unknownImages.length) {
    lines.push(`${r.unknownImages.length} entries name images this project does not hold (nothing was changed for them):`);
    for (const u of r.unknownImages.slice(0, 20)) lines.push(`  ${u.item}: ${u.reason}`);
    if (r.unknownImages.length > 20) lines.push(`  … and ${r.unknownImages.length - 20} more (see --json)`);
  }
  if (r.problems.length) {
    lines.push(`${r.problems.length} entries could not be used (nothing was changed for them):`);
    for (const p of r.problems.slice(0, 20)) lines.push(`  ${p.item}: ${p.reason}`);
    if (r.problems.length > 20) lines.push(`  … and ${r.problems.length - 20} more (see --json)`);
  }
  return `${lines.join('\n')}\n`;
}
