import { MlWorker } from '../../main/ml/jobs/mlWorker.js';
import { SPLITS } from '../../shared/domain.js';
import { InputError } from '../../shared/errors.js';
import { printJson, type Command } from '../command.js';
import { parseSplit, parseVersion, percent, requireProject } from '../modelArgs.js';
import { openProject } from '../openProject.js';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'evaluate a model version on a split: image and pixel metrics, inference time',
  usage: `dwb eval --project <dir> [--model <version>] [--split ${SPLITS.join('|')}] [--json]`,
  examples: ['dwb eval --project ~/inspection/tiles --json', 'dwb eval --project ~/inspection/tiles --model v2 --split val'],
  options: { project: { type: 'string' }, model: { type: 'string' }, split: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: 0,
  async run(values, _positionals, ctx) {
    const root = requireProject(values, 'eval');
    const split = parseSplit(values.split, 'test');
    const requested = parseVersion(values.model);
    const project = await openProject(root, ctx);
    let versionId: number;
    let images: number;
    try {
      versionId = project.models.resolve(requested).id;
      images = project.images.count({ split });
    } finally {
      project.close();
    }
    if (images === 0) {
      throw new InputError('empty-split', `the ${split} split of this project has no images; import test images (dwb import) or choose another --split`);
    }
    const worker = new MlWorker();
    try {
      const result = await worker.request(
        { type: 'evaluate', projectRoot: root, versionId, split },
        {
          signal: ctx.signal,
          onProgress: (p) => {
            if (ctx.interactive && 'done' in p) ctx.err(`\revaluating v${versionId} on ${split}: ${p.done}/${p.total} images\x1b[K`);
          },
        },
      );
      if (ctx.interactive) ctx.err('\n');
      const m = result.metrics;
      if (values.json) {
        printJson(ctx, {
          version: versionId,
          split,
          images: result.images,
          normal: result.normal,
          anomalous: result.anomalous,
          masks: result.masks,
          image_auroc: m.image_auroc,
          image_ap: m.image_ap,
          image_f1max: m.image_f1max,
          pg2: m.pg2,
          pb2: m.pb2,
          pixel_auroc: m.pixel_auroc,
          aupro: m.aupro,
          pixel_ap: m.pixel_ap,
          pixel_f1max: m.pixel_f1max,
          ms_per_image: result.msPerImage,
          provider: result.provider,
          by_class: (result.byClass ?? []).map((c) => ({ defect_class: c.defectClass, anomalous: c.anomalous, masks: c.masks, image_auroc: c.image_auroc, image_ap: c.image_ap, pixel_auroc: c.pixel_auroc, aupro: c.aupro, pixel_ap: c.pixel_ap })),
        });
        return;
      }
      const classes = result.byClass ?? [];
      const width = Math.max(12, ...classes.map((c) => (c.defectClass ?? '(no class)').length));
      ctx.out(
        [
          `model v${versionId} on ${split}: ${result.images} images (${result.normal} normal, ${result.anomalous} anomalous, ${result.masks} with masks)`,
          `  image  AUROC ${percent(m.image_auroc)}  AP ${percent(m.image_ap)}  F1-max ${percent(m.image_f1max)}  PG2 ${percent(m.pg2)}  PB2 ${percent(m.pb2)}`,
          `  pixel  AUROC ${percent(m.pixel_auroc)}  AUPRO ${percent(m.aupro)}  AP ${percent(m.pixel_ap)}  F1-max ${percent(m.pixel_f1max)}`,
          ...(classes.length > 1 || classes.some((c) => c.defectClass !== null)
            ? [
                `  per defect class, against all ${result.normal} normal images:`,
                `    ${'class'.padEnd(width)}  images  masks  img AUROC  img AP  px AUROC  AUPRO  px AP`,
                ...classes.map(
                  (c) =>
                    `    ${(c.defectClass ?? '(no class)').padEnd(width)}  ${String(c.anomalous).padStart(6)}  ${String(c.masks).padStart(5)}  ${percent(c.image_auroc).padStart(9)}  ${percent(c.image_ap).padStart(6)}  ${percent(c.pixel_auroc).padStart(8)}  ${percent(c.aupro).padStart(5)}  ${percent(c.pixel_ap).padStart(5)}`,
                ),
              ]
            : []),
          `  ${result.msPerImage.toFixed(1)} ms per image on ${result.provider} (percent; — where the split cannot give a metric)`,
        ].join('\n') + '\n',
      );
    } finally {
      await worker.close();
    }
  },
};
