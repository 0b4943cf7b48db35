// Camera pixels → backbone input, as ONNX nodes. The workbench (training features, the Predictor) and the exported
// model run these very nodes on the same ONNX Runtime kernels, so a deployed model sees exactly the tensor the
// workbench saw: uint8 [H, W, C] (C = 1 grey, 3 RGB, or 4 RGBA whose alpha is dropped) → float32 → RGB planes →
// bilinear resize with antialiasing (a triangle filter widened by the scale when shrinking, so a 900² photo is
// averaged down rather than point-sampled) to the model size, stretched (no crop, no padding) → grey replicated to
// three channels → ImageNet normalisation.
import ort from 'onnxruntime-node';
import { createSession } from '../engine/runtime.js';
import type { ImageSize } from '../ssn/types.js';
import { DataType, encodeModel, GraphBuilder, modelOf, tensorInfo } from './protoGraph.js';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** Human-readable statement of the preprocessing, for export metadata and the README. */
export const PREPROCESSING_DESCRIPTION =
  'uint8 HxWxC (C=1 grey, 3 RGB, 4 RGBA: alpha dropped) -> float -> ONNX Resize linear, antialias=1, half_pixel, ' +
  'stretched to the model size (no crop or padding) -> grey replicated to RGB -> (x/255 - mean)/std, ' +
  `mean [${IMAGENET_MEAN.join(', ')}], std [${IMAGENET_STD.join(', ')}]`;

/** Appends the preprocessing nodes reading `image` (uint8 [H, W, C]); returns the [1, 3, h, w] float32 tensor name. */
export function addImagePreprocessing(g: GraphBuilder, image: string, size: ImageSize): string {
  const asFloat = g.op('Cast', [image], { to: DataType.FLOAT });
  // channels 0..2: grey stays one channel, RGB stays three, RGBA loses alpha
  const rgb = g.op('Slice', [asFloat, g.int64([0]), g.int64([3]), g.int64([2])]);
  const planes = g.op('Unsqueeze', [g.op('Transpose', [rgb], { perm: [2, 0, 1] }), g.int64([0])]);
  const resized = g.op('Resize', [planes, '', '', g.int64([size.height, size.width])], {
    mode: 'linear',
    antialias: 1,
    coordinate_transformation_mode: 'half_pixel',
    axes: [2, 3],
  });
  // broadcasting [1, 1|3, h, w] against [1, 3, 1, 1] replicates grey and keeps RGB as it is
  const threeChannels = g.op('Expand', [resized, g.int64([1, 3, 1, 1])]);
  const scale = g.float(IMAGENET_STD.map((s) => 1 / (255 * s)), [1, 3, 1, 1]);
  const shift = g.float(IMAGENET_MEAN.map((m, c) => m / IMAGENET_STD[c]!), [1, 3, 1, 1]);
  return g.op('Sub', [g.op('Mul', [threeChannels, scale]), shift]);
}

/** A standalone model: `image` uint8 [H, W, C] → `input` float32 [1, 3, h, w]. */
export function imagePreprocessingModel(size: ImageSize): Uint8Array {
  const g = new GraphBuilder('pre/');
  const out = addImagePreprocessing(g, 'image', size);
  g.named('Identity', [out], 'input');
  return encodeModel(
    modelOf(g, {
      name: 'dwb.preprocess',
      inputs: [tensorInfo('image', DataType.UINT8, ['height', 'width', 'channels'])],
      outputs: [tensorInfo('input', DataType.FLOAT, [1, 3, size.height, size.width])],
    }),
  );
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

function sessionFor(size: ImageSize): Promise<ort.InferenceSession> {
  const key = `${size.height}x${size.width}`;
  let session = sessions.get(key);
  if (!session) {
    session = createSession(imagePreprocessingModel(size), { providers: ['cpu'] }).then((s) => s.session);
    sessions.set(key, session);
    session.catch(() => sessions.delete(key));
  }
  return session;
}

/** Runs the preprocessing on decoded pixels (uint8, row-major H×W×C); returns the [3, h, w] planes. */
export async function preprocessPixels(pixels: Uint8Array, height: number, width: number, channels: number, size: ImageSize): Promise<Float32Array> {
  const session = await sessionFor(size);
  const out = await session.run({ image: new ort.Tensor('uint8', pixels, [height, width, channels]) });
  return out.input!.data as Float32Array;
}
