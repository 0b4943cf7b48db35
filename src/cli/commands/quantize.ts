import { quantizeBackbone } from '../../main/ml/backbone/quantizeBackbone.js';
import { PRESETS } from '../../main/ml/ssn/presets.js';
import { printJson, type Command, type CommandContext } from '../command.js';
import { UsageError } from '../errors.js';
import { expandImageArgs } from '../imageArgs.js';
import { parseSize } from '../modelArgs.js';
import { openProject } from '../openProject.js';

export const quantizeCommand: Command = {
  name: 'quantize',
  summary: 'make an int8 copy of a backbone, calibrated on images of the parts: faster on a CPU, train with it like any backbone',
  usage: 'dwb quantize --backbone <float.onnx> --out <int8.onnx> (--project <dir> | <images or folders…>) [--size HxW] [--json]',
  examples: [
    'dwb quantize --backbone resnet50.onnx --out resnet50-int8.onnx --project ~/inspection/tiles',
    'dwb quantize --backbone resnet50.onnx --out resnet50-int8.onnx /mnt/camera/good-parts --size 256x640',
    'dwb train --project ~/inspection/tiles --backbone resnet50-int8.onnx',
  ],
  options: { backbone: { type: 'string' }, out: { type: 'string' }, project: { type: 'string' }, size: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: 100_000,
  async run(values, positionals, ctx) {
    if (typeof values.backbone !== 'string') throw new UsageError('dwb quantize needs --backbone <float.onnx>, the model to quantize');
    if (typeof values.out !== 'string') throw new UsageError('dwb quantize needs --out <int8.onnx>, where to write the int8 backbone');
    if (positionals.length === 0 && typeof values.project !== 'string') {
      throw new UsageError('dwb quantize needs images of the parts to calibrate on: --project <dir> (its normal training images) or image files and folders');
    }
    if (positionals.length > 0 && typeof values.project === 'string') throw new UsageError('dwb quantize takes --project <dir> or images, not both');
    const images = typeof values.project === 'string' ? await projectImages(values.project, ctx) : await expandImageArgs(positionals, 'calibrate on');
    const size = parseSize(values.size) ?? PRESETS.fast.size;
    const report = await quantizeBackbone({
      input: values.backbone,
      output: values.out,
      images,
      size,
      signal: ctx.signal,
      ...(ctx.interactive ? { onProgress: (stage, done, total) => ctx.err(`\r${stage}: ${done}/${total} images\x1b[K`) } : {}),
    });
    if (ctx.interactive) ctx.err('\r\x1b[K');
    if (values.json) return printJson(ctx, report);
    const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
    ctx.out(
      `wrote ${report.output} (${report.int8Megabytes.toFixed(1)} MB; the float model ${report.floatMegabytes.toFixed(1)} MB)\n` +
        `  calibrated on ${report.calibrationImages} images at ${size.height}×${size.width}; ${report.integerConvolutions} of ${report.convolutions} convolutions run on int8 kernels here\n` +
        (Object.keys(report.floatNodes).length ? `  still in float: ${Object.entries(report.floatNodes).map(([op, n]) => `${n} ${op}`).join(', ')}\n` : '') +
        `  on ${report.checkImages} ${report.checkImagesHeldOut ? 'other' : 'of the same'} images: ` +
        report.agreement.map((a) => `${a.output} within ${pct(a.relativeError)} of the float maps (cosine ${a.cosine.toFixed(3)})`).join(', ') +
        `\n  ${report.int8MsPerImage.toFixed(1)} ms per image against ${report.floatMsPerImage.toFixed(1)} (${(report.floatMsPerImage / report.int8MsPerImage).toFixed(2)}× as fast)\n` +
        `train with it: dwb train --project ${typeof values.project === 'string' ? values.project : '<dir>'} --backbone ${values.out}\n`,
    );
  },
};

/** The project's normal training images: what its model will see most of. */
async function projectImages(root: string, ctx: CommandContext): Promise<string[]> {
  const project = await openProject(root, ctx);
  try {
    const images = project.images.list({ split: 'train', labelState: 'normal' });
    if (images.length === 0) throw new UsageError(`${root} has no normal training images to calibrate on; label some good parts as normal, or give image folders instead of --project`);
    return images.map((image) => project.imagePath(image));
  } finally {
    project.close();
  }
}
