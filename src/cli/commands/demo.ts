import { Workbench } from '../../main/app/workbench.js';
import { printJson, type Command } from '../command.js';
import { UsageError } from '../errors.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'create a demo project of generated surface images with scratches, spots, dents and their masks',
  usage: 'dwb demo <dir> [--seed <n>] [--json]',
  examples: ['dwb demo ~/defect-workbench/demo-project'],
  options: { seed: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: 1,
  async run(values, [dir], ctx) {
    if (!dir) throw new UsageError('dwb demo needs the folder to create the demo project in: dwb demo <dir>');
    const seed = values.seed === undefined ? undefined : Number(values.seed);
    if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError('--seed must be a whole number');
    const workbench = new Workbench('browser');
    try {
      const info = await workbench.handlers['project.createDemo']({ dir, ...(seed === undefined ? {} : { seed }) });
      if (values.json) printJson(ctx, info);
      else ctx.out(`created the demo project "${info.name}" with ${info.stats.images} images in ${info.root}\n`);
    } finally {
      await workbench.close();
    }
  },
};
