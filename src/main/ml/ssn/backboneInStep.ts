// The paper preset on a GPU runs the frozen backbone inside the train-step graph, from the batch's images, instead of
// feeding it the backbone's cached maps: a step then uploads 3 values per pixel rather than the stride-8 and stride-16
// maps (at 256²: 0.79 MB per image against 3.1 MB; 25 MB against 101 MB for a batch of 32), and moving big tensors
// between host and GPU is what dominated a GPU step when it was measured (../../../../../shared/device/README.md: a
// SuperSimpleNet-sized pass fed 200 MB per run reached 2.3 of the 16 TFLOP/s the GPU gave with data kept on it).
// On the CPU the cached maps stay: there the backbone's forward pass is the expensive part, and a cache pays it once.
// No gradient reaches the backbone: its maps enter the step exactly where the cached maps did, and the engine
// differentiates the step with respect to its parameters only.
import type { CompiledGraph, TensorInfo } from '../engine/compile.js';
import { ONNX_DTYPE } from '../engine/dtype.js';
import { appendModel, MergeError } from '../pipeline/mergeGraph.js';
import { encodeModel, GraphBuilder, modelOf, tensorInfo } from '../pipeline/protoGraph.js';

/** The merged step's image input: a normalized batch [N, 3, H, W], as the backbone takes it. */
export const STEP_IMAGE_INPUT = 'image';

export interface BackboneGraph {
  bytes: Uint8Array;
  inputName: string;
  s8Name: string;
  s16Name: string;
}

/**
 * `step` (a train-step graph with inputs `s8` and `s16`) with the backbone in front of it: the same inputs but the
 * image batch in place of the maps, the same outputs. The hash stays the step's own: it names the function a
 * checkpoint belongs to, and a run checkpointed with the backbone inside resumes on cached maps and back.
 */
export function trainStepWithBackbone(step: CompiledGraph, backbone: BackboneGraph, images: readonly [number, number, number, number]): CompiledGraph {
  const isMap = (name: string) => name === 's8' || name === 's16';
  if (step.inputs.filter((i) => isMap(i.name)).length !== 2) throw new MergeError('the training step takes no backbone maps (s8, s16): it trains on projected features');
  const g = new GraphBuilder('merged/');
  const maps = appendModel(g, backbone.bytes, 'backbone/', { [backbone.inputName]: STEP_IMAGE_INPUT }, 'the backbone');
  const s8 = maps.outputs[backbone.s8Name];
  const s16 = maps.outputs[backbone.s16Name];
  if (!s8 || !s16) throw new MergeError(`the backbone has no outputs ${backbone.s8Name} and ${backbone.s16Name}`);
  const kept = step.inputs.filter((i) => !isMap(i.name));
  appendModel(g, step.bytes, '', { ...Object.fromEntries(kept.map((i) => [i.name, i.name])), s8, s16 }, 'the training step');
  const inputs: TensorInfo[] = [{ name: STEP_IMAGE_INPUT, shape: [...images], dtype: 'float32' }, ...kept];
  const info = (t: TensorInfo) => tensorInfo(t.name, ONNX_DTYPE[t.dtype], t.shape);
  const bytes = encodeModel(modelOf(g, { name: 'supersimplenet.train-step.backbone', inputs: inputs.map(info), outputs: step.outputs.map(info) }));
  return { ...step, bytes, inputs };
}
