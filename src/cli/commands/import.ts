import { runImport } from '../../main/import/importer.js';
import { planProjectImport } from '../../main/import/projectImport.js';
import { IMPORT_LAYOUTS, importLayoutSchema, type ImportProgress } from '../../shared/domain.js';
import { printJson, type Command } from '../command.js';
import { UsageError } from '../errors.js';
import { formatDuration } from '../format.js';
import { openProject } from '../openProject.js';

export const importCommand: Command = {
  name: 'import',
  summary: 'import a folder of images (flat, labelled folders, or MVTec AD layout) into a project',
  usage: `dwb import <source> --project <dir> [--layout ${IMPORT_LAYOUTS.join('|')}] [--json]`,
  examples: [
    'dwb import ~/datasets/mvtec/bottle --project ~/inspection/bottles --layout mvtec',
    'dwb import /mnt/camera/2026-11-24 --project ~/inspection/bottles --json',
  ],
  options: { project: { type: 'string' }, layout: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: 1,
  async run(values, [source], ctx) {
    if (!source) throw new UsageError('dwb import needs the folder to import: dwb import <source> --project <dir>');
    if (typeof values.project !== 'string') throw new UsageError('dwb import needs --project <dir> (create one with dwb init <dir>)');
    let layout;
    if (values.layout !== undefined) {
      const parsed = importLayoutSchema.safeParse(values.layout);
      if (!parsed.success) throw new UsageError(`unknown layout "${String(values.layout)}"; use one of ${IMPORT_LAYOUTS.join(', ')}`);
      layout = parsed.data;
    }
    const project = await openProject(values.project, ctx);
    try {
      const plan = await planProjectImport(project, source, layout);
      const onProgress = ctx.interactive ? (p: ImportProgress) => ctx.err(`\r${progressLine(p)}\x1b[K`) : undefined;
      const report = await runImport(project, plan, { signal: ctx.signal, ...(onProgress ? { onProgress } : {}) });
      if (ctx.interactive) ctx.err('\n');
      const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
      if (values.json) {
        printJson(ctx, { project: project.layout.root, ...report, peakRssMb, stats: project.stats() });
      } else if (report.total === 0) {
        const left = report.skipped.length + report.ignored.length;
        ctx.out(`no images found in ${report.source} (${report.layout} layout)${left ? `; ${left} other files left out` : ''}; nothing was imported\n`);
        for (const s of [...report.skipped, ...report.ignored].slice(0, 50)) ctx.out(`  skipped ${s.path}: ${s.reason}\n`);
      } else {
        ctx.out(
          `${report.status === 'cancelled' ? 'cancelled' : 'imported'}: ${report.imported} new, ${report.duplicates} already in the project, ` +
            `${report.skipped.length} skipped, from ${report.source} (${report.layout} layout) in ${formatDuration(report.elapsedSeconds)}\n`,
        );
        for (const s of report.skipped.slice(0, 50)) ctx.out(`  skipped ${s.path}: ${s.reason}\n`);
        if (report.skipped.length > 50) ctx.out(`  … and ${report.skipped.length - 50} more (see --json)\n`);
        if (report.warnings.length) ctx.out(`${report.warnings.length} warnings (see --json), first: ${report.warnings[0]!.path}: ${report.warnings[0]!.reason}\n`);
      }
      if (report.status === 'cancelled') process.exitCode = 130;
    } finally {
      project.close();
    }
  },
};

function progressLine(p: ImportProgress): string {
  const rate = p.ratePerSecond === null ? '' : `, ${p.ratePerSecond.toFixed(1)} images/s`;
  const eta = p.etaSeconds === null ? '' : `, ${formatDuration(p.etaSeconds)} left`;
  return `${p.phase}: ${p.processed}/${p.total} (${p.imported} new, ${p.duplicates} duplicates, ${p.skipped} skipped${rate}${eta})`;
}
