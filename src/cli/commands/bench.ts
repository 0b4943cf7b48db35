import { benchImport } from '../../bench/importBench.js';
import { printJson, type Command } from '../command.js';
import { UsageError } from '../errors.js';

const SECTIONS = ['import'] as const;
type Section = (typeof SECTIONS)[number];

export const benchCommand: Command = {
  name: 'bench',
  summary: 'measure import throughput and memory (figures, not pass/fail)',
  usage: `dwb bench [${SECTIONS.join('|')}] [--images <n>] [--json]`,
  examples: ['npm run bench', 'npm run bench -- import --images 500 --json'],
  options: { images: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: 1,
  async run(values, [section], ctx) {
    if (section !== undefined && !SECTIONS.includes(section as Section)) {
      throw new UsageError(`unknown benchmark section "${section}"; use one of ${SECTIONS.join(', ')}`);
    }
    const images = values.images === undefined ? 2000 : Number(values.images);
    if (!Number.isInteger(images) || images < 1) throw new UsageError('--images must be a positive whole number');
    const results: Record<string, unknown> = {};
    if (section === undefined || section === 'import') {
      const r = await benchImport({ images, size: 1024 }, ctx.err);
      results.import = r;
      if (!values.json) {
        ctx.out(
          `import: ${r.images} PNGs of ${r.size}×${r.size} (${r.datasetMb} MB): ${r.imagesPerSecond.toFixed(1)} images/s ` +
            `(${r.elapsedSeconds.toFixed(1)} s), peak RSS ${r.peakRssMb} MB; re-import of the same files ${r.reimportImagesPerSecond.toFixed(1)} images/s\n`,
        );
      }
    }
    if (values.json) printJson(ctx, section === undefined ? results : results[section]);
  },
};
