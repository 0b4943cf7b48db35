import { checkProject } from '../../main/store/check.js';
import { REPAIRABLE_PROBLEMS, type CheckProblem } from '../../shared/api.js';
import { printJson, type Command } from '../command.js';
import { UsageError } from '../errors.js';
import { formatDuration } from '../format.js';

export const checkCommand: Command = {
  name: 'check',
  summary: "check a project's catalog and files (every file hashed against its name); --repair fixes what can be fixed",
  usage: 'dwb check --project <dir> [--repair] [--json]',
  examples: ['dwb check --project ~/inspection/bottles', 'dwb check --project ~/inspection/bottles --repair --json'],
  options: { project: { type: 'string' }, repair: { type: 'boolean' }, json: { type: 'boolean' } },
  allowPositionals: 0,
  async run(values, _positionals, ctx) {
    if (typeof values.project !== 'string') throw new UsageError('dwb check needs --project <dir>');
    const onProgress = ctx.interactive ? (done: number, total: number) => done % 50 === 0 && ctx.err(`\rchecking files: ${done}/${total}\x1b[K`) : undefined;
    const report = await checkProject(values.project, { repair: Boolean(values.repair), ...(onProgress ? { onProgress } : {}) });
    if (ctx.interactive) ctx.err('\r\x1b[K');
    // exit 0 only when all is well (after --repair: when nothing is left wrong)
    if (!report.ok) process.exitCode = 1;
    if (values.json) return printJson(ctx, report);
    const left = report.problems.filter((p) => !p.repaired);
    const fixed = report.problems.length - left.length;
    ctx.out(
      `${report.ok ? 'ok' : 'PROBLEMS'}: ${report.root}: catalog ${report.catalogOk ? 'intact' : 'DAMAGED'}, ` +
        (report.rowsReadable ? `${report.images} images and ${report.masks} masks, ` : 'its rows cannot be read, so the stored files were checked against their names alone: ') +
        `${report.filesHashed} files hashed in ${formatDuration(report.elapsedSeconds)}; ` +
        `${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} found${report.repair ? `, ${fixed} repaired` : ''}\n`,
    );
    for (const [kind, problems] of groupByKind(report.problems)) {
      ctx.out(`${kind} (${problems.length}):\n`);
      for (const p of problems.slice(0, 20)) ctx.out(`  ${p.repaired ? 'repaired' : 'not repaired'}: ${p.message}\n`);
      if (problems.length > 20) ctx.out(`  … and ${problems.length - 20} more (see --json)\n`);
    }
    if (!report.ok && !report.repair && report.rowsReadable && left.some((p) => REPAIRABLE_PROBLEMS.has(p.kind))) {
      ctx.out(`run "dwb check --project ${report.root} --repair" to fix what can be fixed\n`);
    }
  },
};

function groupByKind(problems: readonly CheckProblem[]): Map<string, CheckProblem[]> {
  const groups = new Map<string, CheckProblem[]>();
  for (const p of problems) groups.set(p.kind, [...(groups.get(p.kind) ?? []), p]);
  return groups;
}
