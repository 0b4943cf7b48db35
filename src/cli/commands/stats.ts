import { SPLITS } from '../../shared/domain.js';
import { printJson, type Command } from '../command.js';
import { UsageError } from '../errors.js';
import { openProject } from '../openProject.js';

export const statsCommand: Command = {
  name: 'stats',
  summary: 'count images per split, label kind and defect class',
  usage: 'dwb stats --project <dir> [--json]',
  examples: ['dwb stats --project ~/inspection/bottles --json'],
  options: { project: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: 0,
  async run(values, _positionals, ctx) {
    if (typeof values.project !== 'string') throw new UsageError('dwb stats needs --project <dir>');
    const project = await openProject(values.project, ctx);
    try {
      const stats = project.stats();
      if (values.json) return printJson(ctx, stats);
      const rows = SPLITS.map((s) => {
        const c = stats.splits[s];
        return `${s.padEnd(6)} ${String(c.normal).padStart(8)} ${String(c.anomalous).padStart(10)} ${String(c.masks).padStart(8)} ${String(c.unlabeled).padStart(10)}`;
      });
      ctx.out(
        [
          `${stats.images} images in ${project.layout.root}`,
          `split    normal  anomalous    masks  unlabeled`,
          ...rows,
          ...(Object.keys(stats.classes).length ? ['defect classes:', ...Object.entries(stats.classes).map(([k, n]) => `  ${k}: ${n}`)] : []),
        ].join('\n') + '\n',
      );
    } finally {
      project.close();
    }
  },
};
