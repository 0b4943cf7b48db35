// The backbone runner on real ONNX files: the shared ImageNet backbones load with their stride-8/16 outputs found
// by probing, and files that cannot serve get an error naming what is wrong. Decoding covers 16-bit grey and RGBA.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { oneLineReason } from '../../src/cli/errors.js';
import { Backbone, BackboneError } from '../../src/main/ml/backbone/backbone.js';
import { loadNormalizedImage } from '../../src/main/ml/backbone/preprocess.js';
import { PROJECT_ROOT, useTempDirs } from '../helpers/paths.js';

const MODELS = path.resolve(PROJECT_ROOT, process.env.DWB_MODELS ?? '../shared/models');
const tempDir = useTempDirs();
const { onnx } = onnxProto;

/** A dynamic-size ONNX model: input [N, c, H, W] float, outputs average-pooled by each given stride. */
function pooledModel(strides: number[], channels = 3, elemType = 1, opType = 'AveragePool'): Uint8Array {
  const dim = (v: string | number) => (typeof v === 'number' ? { dimValue: v } : { dimParam: v });
  const info = (name: string, dims: (string | number)[], t = 1) => ({ name, type: { tensorType: { elemType: t, shape: { dim: dims.map(dim) } } } });
  const model = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'probe',
      node: strides.map((s) => ({
        opType,
        input: ['input'],
        output: [`out${s}`],
        attribute: opType !== 'AveragePool' ? [] : [
          { name: 'kernel_shape', type: onnx.AttributeProto.AttributeType.INTS, ints: [s, s] },
          { name: 'strides', type: onnx.AttributeProto.AttributeType.INTS, ints: [s, s] },
        ],
      })),
      input: [info('input', ['n', channels, 'h', 'w'], elemType)],
      output: strides.map((s) => info(`out${s}`, ['n', channels, 'oh', 'ow'], elemType)),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}

describe('backbone runner', () => {
  it('finds the stride-8 and stride-16 outputs of the shared backbones by probing', async () => {
    const resnet = await Backbone.load(path.join(MODELS, 'resnet50_keras_imagenet_l2l3.onnx'), { providers: ['cpu'] });
    // layer1 (stride 4) is an extra third output: it must not be taken
    expect(resnet.info).toMatchObject({ inputName: 'input', s8Name: 'layer2', s16Name: 'layer3', s8Channels: 512, s16Channels: 1024 });
    expect(resnet.info.sha256).toBe('275c6773b7ba6484d5a4817a96666c3fa9410c0f37bfbc4ac5c5384ce59f8e2e');
    const maps = await resnet.run(new Float32Array(2 * 3 * 64 * 96), 2, 64, 96);
    expect(maps.s8Shape).toEqual([2, 512, 8, 12]);
    expect(maps.s16Shape).toEqual([2, 1024, 4, 6]);
    await resnet.release();
    const mobilenet = await Backbone.load(path.join(MODELS, 'mobilenet_v1_keras_imagenet_s8s16.onnx'), { providers: ['cpu'] });
    expect(mobilenet.info).toMatchObject({ s8Name: 'stride8', s16Name: 'stride16', s8Channels: 256, s16Channels: 512 });
    await mobilenet.release();
  });

  it('refuses files that are not ONNX, have the wrong input, or lack a stride-8/16 output, saying which', async () => {
    const dir = await tempDir();
    const write = async (name: string, bytes: Uint8Array | string) => {
      const file = path.join(dir, name);
      await writeFile(file, bytes);
      return file;
    };
    const missing = await Backbone.load(path.join(dir, 'missing.onnx')).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(BackboneError);
    // a known refusal with its code, so every command (dwb bench too) prints it as one line, not as "unexpected error"
    expect(missing).toMatchObject({ code: 'backbone-invalid' });
    expect(oneLineReason(missing)).toMatch(/^cannot read the backbone: .*missing\.onnx does not exist: check the path$/);
    // the CPU provider's refusal is the file's fault; a GPU provider's (a missing CUDA library here) would only mislead
    const text = await Backbone.load(await write('text.onnx', 'not a model at all')).then(
      () => 'loaded',
      (error: unknown) => (error as Error).message,
    );
    expect(text).toMatch(/is not a loadable ONNX model \([^;]*protobuf parsing failed[^;]*\); give an ONNX feature extractor/);
    expect(text).not.toMatch(/no execution provider|cuda/i);
    await expect(Backbone.load(await write('grey.onnx', pooledModel([8, 16], 1)))).rejects.toThrow(/exactly one float32 NCHW image input with 3 channels; it takes: input float32 \[n, 1, h, w\]/);
    await expect(Backbone.load(await write('double.onnx', pooledModel([8], 3, 11, 'Identity')))).rejects.toThrow(/float32 NCHW image input with 3 channels; it takes: input float64/);
    const only8 = Backbone.load(await write('only8.onnx', pooledModel([4, 8])));
    await expect(only8).rejects.toThrow(BackboneError);
    await expect(only8).rejects.toThrow(/needs a stride-8 and a stride-16 .*out4 stride 4, out8 stride 8/);
    const ok = await Backbone.load(await write('ok.onnx', pooledModel([16, 8])));
    expect(ok.info).toMatchObject({ s8Name: 'out8', s16Name: 'out16', s8Channels: 3, s16Channels: 3 });
    await ok.release();
  });

  it('decodes 16-bit grey and RGBA images into ImageNet-normalized RGB planes at the model size', async () => {
    const dir = await tempDir();
    const grey16 = path.join(dir, 'grey16.png');
    const ramp = new Uint16Array(64 * 32).map((_, i) => (i % 64) * 1040); // 0 .. 65520 along x
    await sharp(ramp, { raw: { width: 64, height: 32, channels: 1 } }).toColourspace('grey16').png().toFile(grey16);
    expect((await sharp(grey16).metadata()).depth).toBe('ushort');
    const size = { height: 32, width: 64 };
    const x = await loadNormalizedImage(grey16, size);
    const plane = 32 * 64;
    const value8 = (c: number, i: number) => 0 + Math.round((x[c * plane + i]! * [0.229, 0.224, 0.225][c]! + [0.485, 0.456, 0.406][c]!) * 255);
    // grey is the same in all three channels; the 16-bit ramp is scaled to 8 bits, not truncated
    for (const i of [0, 20, 63, 64 * 31 + 40]) expect([value8(0, i), value8(1, i), value8(2, i)]).toEqual(Array(3).fill(Math.round(((i % 64) * 1040) / 257)));
    const rgba = path.join(dir, 'rgba.png');
    await sharp({ create: { width: 30, height: 20, channels: 4, background: { r: 200, g: 100, b: 50, alpha: 0.25 } } }).png().toFile(rgba);
    const y = await loadNormalizedImage(rgba, size);
    // alpha dropped, not blended: the colour comes through unchanged, resized to fill 64×32
    expect([value8(0, 0), value8(1, 0), value8(2, 0)].map((_, c) => Math.round((y[c * plane + 100]! * [0.229, 0.224, 0.225][c]! + [0.485, 0.456, 0.406][c]!) * 255))).toEqual([200, 100, 50]);
    await expect(loadNormalizedImage(path.join(dir, 'nope.png'), size)).rejects.toThrow(/cannot read .*nope.png/);
  });
});
