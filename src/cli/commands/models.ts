import { printJson, type Command } from '../command.js';
import { UsageError } from '../errors.js';
import { formatDuration } from '../format.js';
import { parseVersion, percent, requireProject } from '../modelArgs.js';
import { openProject } from '../openProject.js';

const ACTIONS = ['list', 'delete', 'activate'] as const;

export const modelsCommand: Command = {
  name: 'models',
  summary: 'list the project’s model versions, set the active one, or delete one',
  usage: 'dwb models [list | activate <version> | delete <version>] --project <dir> [--json]',
  examples: ['dwb models --project ~/inspection/tiles', 'dwb models delete v2 --project ~/inspection/tiles'],
  options: { project: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: 2,
  async run(values, [action = 'list', target], ctx) {
    if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) throw new UsageError(`unknown action "${action}"; use ${ACTIONS.join(', ')}`);
    const root = requireProject(values, 'models');
    const version = action === 'list' ? undefined : parseVersion(target ?? '', 'the version');
    const project = await openProject(root, ctx);
    try {
      if (action === 'delete') {
        const { removedFiles } = await project.models.delete(version!);
        if (values.json) return printJson(ctx, { deleted: version, removedFiles });
        ctx.out(`deleted model v${version} (${removedFiles} files no other version used)\n`);
        return;
      }
      if (action === 'activate') {
        project.models.setActive(version!);
        if (values.json) return printJson(ctx, { active: version });
        ctx.out(`model v${version} is now the active version\n`);
        return;
      }
      const versions = project.models.list();
      if (values.json) return printJson(ctx, { versions });
      if (versions.length === 0) return ctx.out('no model versions yet; train one with dwb train --project <dir> --backbone <onnx>\n');
      for (const v of versions) {
        const m = v.testMetrics;
        ctx.out(
          `${v.active ? '*' : ' '} v${v.id}  ${v.createdAt.slice(0, 16).replace('T', ' ')}  ${v.preset}  ${v.backboneName}  ${v.size.height}×${v.size.width}  ` +
            `${v.regime} (train ${v.counts.train.normal}/${v.counts.train.weak}/${v.counts.train.full} normal/weak/full)  ${formatDuration(v.trainSeconds)}  ` +
            `test image AUROC ${percent(m?.image_auroc)} pixel AUROC ${percent(m?.pixel_auroc)}\n`,
        );
      }
    } finally {
      project.close();
    }
  },
};
