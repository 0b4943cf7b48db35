// The int8 backbone on the real shared backbones and real magnetic_tile images: every convolution must reach ONNX
// Runtime's integer kernels (read from the graph it optimizes), the feature maps must stay close to the float
// model's on images calibration did not see, the file must load as a backbone like any other, and what cannot be
// quantized must be refused with a reason, leaving nothing half-written.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Backbone } from '../../src/main/ml/backbone/backbone.js';
import { calibrationModel, QuantizeError } from '../../src/main/ml/backbone/quantize.js';
import { quantizeBackbone } from '../../src/main/ml/backbone/quantizeBackbone.js';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { Project } from '../../src/main/store/project.js';
import { MODELS } from '../helpers/bottleProject.js';
import { dwb, onlyJson } from '../helpers/cli.js';
import { DATASETS, datasetsAvailable, DWB, useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();
const size = { height: 128, width: 128 };

async function tileImages(count: number): Promise<string[]> {
  const dir = path.join(DATASETS, 'magnetic_tile', 'train', 'good');
  return (await readdir(dir)).sort().slice(0, count).map((f) => path.join(dir, f));
}

describe.runIf(datasetsAvailable())('int8 backbone', () => {
  it('puts every ResNet-50 convolution on integer kernels and keeps its maps close to the float ones', async () => {
    const dir = await tempDir();
    const output = path.join(dir, 'resnet50-int8.onnx');
    const report = await quantizeBackbone({ input: path.join(MODELS, 'resnet50_keras_imagenet_l2l3.onnx'), output, images: await tileImages(12), size });
    expect(report).toMatchObject({ convolutions: 44, integerConvolutions: 44, checkImagesHeldOut: true });
    expect(report.calibrationImages + report.checkImages).toBe(12);
    // the ReLUs vanish into the quantization and the residual sums run as QLinearAdd
    for (const op of ['Conv', 'Relu', 'Add']) expect(report.floatNodes[op], op).toBeUndefined();
    // weights at a quarter of the bytes (int8 against float32), plus scales
    expect(report.int8Megabytes).toBeLessThan(report.floatMegabytes / 3.5);
    for (const a of report.agreement) {
      expect(a.cosine, a.output).toBeGreaterThan(0.97);
      expect(a.relativeError, a.output).toBeLessThan(0.25);
    }
    const loaded = await Backbone.load(output, { providers: ['cpu'] });
    expect(loaded.info).toMatchObject({ s8Name: 'layer2', s16Name: 'layer3', s8Channels: 512, s16Channels: 1024 });
    await loaded.release();
    expect(await readdir(dir)).toEqual(['resnet50-int8.onnx']);
  });

  it('fuses MobileNet’s Clip (ReLU6) into the quantization, depthwise convolutions included', async () => {
    const dir = await tempDir();
    const report = await quantizeBackbone({ input: path.join(MODELS, 'mobilenet_v1_keras_imagenet_s8s16.onnx'), output: path.join(dir, 'm.onnx'), images: await tileImages(10), size });
    expect(report).toMatchObject({ convolutions: 24, integerConvolutions: 24, floatNodes: {} });
    // each activation is quantized once, after its ReLU6 (a Clip whose bounds are Constant nodes), not also before it
    const { tensors } = calibrationModel(new Uint8Array(await readFile(path.join(MODELS, 'mobilenet_v1_keras_imagenet_s8s16.onnx'))));
    expect(tensors.filter((t) => /Conv_output_0$/.test(t))).toEqual(['/preprocess/conv/Conv_output_0']);
    // 23 ReLU6s: 21 inside, 2 writing the graph outputs
    expect(tensors.filter((t) => /relu\/Clip_output_0$/.test(t) || t === 'stride8' || t === 'stride16')).toHaveLength(23);
    for (const a of report.agreement) expect(a.cosine, a.output).toBeGreaterThan(0.9);
  });

  it('refuses a quantized model, too few images, its own input as output and a file that is not a backbone', async () => {
    const dir = await tempDir();
    const float = path.join(MODELS, 'mobilenet_v1_keras_imagenet_s8s16.onnx');
    const int8 = path.join(dir, 'm-int8.onnx');
    await quantizeBackbone({ input: float, output: int8, images: await tileImages(8), size });
    const quantized = new Uint8Array(await readFile(int8));
    expect(() => calibrationModel(quantized)).toThrow(/already quantized; give the float model/);
    await expect(quantizeBackbone({ input: int8, output: path.join(dir, 'again.onnx'), images: await tileImages(8), size })).rejects.toThrow(/already quantized/);
    await expect(quantizeBackbone({ input: float, output: path.join(dir, 'x.onnx'), images: await tileImages(7), size })).rejects.toThrow(/at least 8 images .* \(7 given\)/);
    await expect(quantizeBackbone({ input: float, output: float, images: await tileImages(8), size })).rejects.toThrow(/another file than the float one/);
    await expect(quantizeBackbone({ input: float, output: path.join(dir, 'x.onnx'), images: await tileImages(8), size: { height: 130, width: 128 } })).rejects.toThrow(/height 130 must be a multiple of 32/);
    await expect(quantizeBackbone({ input: float, output: path.join(dir, 'missing', 'x.onnx'), images: await tileImages(8), size })).rejects.toThrow(/folder .*missing for the int8 backbone does not exist/);
    const text = path.join(dir, 'notes.onnx');
    await writeFile(text, 'not a model');
    await expect(quantizeBackbone({ input: text, output: path.join(dir, 'y.onnx'), images: await tileImages(8), size })).rejects.toThrow(QuantizeError);
    expect((await readdir(dir)).sort()).toEqual(['m-int8.onnx', 'notes.onnx']);
  });

  it('dwb quantize writes the file and says how close and how fast it is', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'm-int8.onnx');
    const imageDir = path.join(DATASETS, 'magnetic_tile', 'train', 'good');
    const images = (await tileImages(9)).map((f) => path.join(imageDir, path.basename(f)));
    const { stdout } = await promisify(execFile)(process.execPath, [DWB, 'quantize', '--backbone', path.join(MODELS, 'mobilenet_v1_keras_imagenet_s8s16.onnx'), '--out', out, '--size', '64x64', ...images, '--json']);
    const report = JSON.parse(stdout) as { output: string; integerConvolutions: number; int8MsPerImage: number; floatMsPerImage: number };
    expect(report.output).toBe(out);
    expect(report.integerConvolutions).toBe(24);
    expect(report.int8MsPerImage).toBeGreaterThan(0);
    // --project: its normal training images (the import keeps some for validation)
    const source = path.join(dir, 'tiles');
    await mkdir(path.join(source, 'train', 'good'), { recursive: true });
    await mkdir(path.join(source, 'test', 'good'), { recursive: true });
    for (const f of await tileImages(12)) await copyFile(f, path.join(source, 'train', 'good', path.basename(f)));
    await copyFile((await tileImages(13))[12]!, path.join(source, 'test', 'good', 'part.jpg'));
    const project = await Project.create(path.join(dir, 'project'));
    await runImport(project, await planImport(source, 'mvtec'));
    const normal = project.images.count({ split: 'train', labelState: 'normal' });
    project.close();
    const fromProject = onlyJson(await dwb(['quantize', '--backbone', path.join(MODELS, 'mobilenet_v1_keras_imagenet_s8s16.onnx'), '--out', out, '--size', '64x64', '--project', project.layout.root, '--json']));
    expect(normal).toBeGreaterThanOrEqual(8);
    expect(fromProject.calibrationImages + fromProject.checkImages).toBe(normal);
    const both = await dwb(['quantize', '--backbone', 'b.onnx', '--out', out, '--project', project.layout.root, imageDir]);
    expect(both).toMatchObject({ code: 2, stdout: '' });
    expect(both.stderr).toMatch(/--project <dir> or images, not both/);
    const failed = await promisify(execFile)(process.execPath, [DWB, 'quantize', '--backbone', path.join(MODELS, 'mobilenet_v1_keras_imagenet_s8s16.onnx'), imageDir]).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toMatch(/needs --out <int8.onnx>/);
  });
});
