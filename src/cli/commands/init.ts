import { Project } from '../../main/store/project.js';
import { printJson, type Command } from '../command.js';
import { UsageError } from '../errors.js';

export const initCommand: Command = {
  name: 'init',
  summary: 'create a new, empty project in a folder',
  usage: 'dwb init <dir> [--name <name>] [--json]',
  examples: ['dwb init ~/inspection/bottles --name "Bottle caps line 3"'],
  options: { name: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: 1,
  async run(values, [dir], ctx) {
    if (!dir) throw new UsageError('dwb init needs the folder to create the project in: dwb init <dir>');
    const project = await Project.create(dir, typeof values.name === 'string' ? { name: values.name } : {});
    try {
      const result = { project: project.layout.root, name: project.settings.name };
      if (values.json) printJson(ctx, result);
      else ctx.out(`created project "${result.name}" in ${result.project}\n`);
    } finally {
      project.close();
    }
  },
};
