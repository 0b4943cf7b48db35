// The deployable model: one ONNX graph from camera pixels to score, map, label and mask. The backbone and the
// trained heads are merged in (prefixed `backbone/` and `heads/`) between the workbench's own preprocessing and
// map post-processing nodes, so every step the workbench runs is inside, on the same kernels. The three thresholds
// are graph inputs backed by initializers of the same name: ONNX Runtime uses the stored value unless the caller
// feeds one, so the line changes a threshold without re-exporting.
import { addImagePreprocessing } from '../ml/pipeline/imageInput.js';
import { addMapPostprocessing } from '../ml/pipeline/mapOutput.js';
import { DataType, encodeModel, GraphBuilder, modelOf, tensorInfo } from '../ml/pipeline/protoGraph.js';
import type { TrainingConfig } from '../ml/ssn/types.js';
import { appendModel, MergeError } from '../ml/pipeline/mergeGraph.js';

export const EXPORT_INPUT = 'image';
export const THRESHOLD_INPUTS = { review: 'review_threshold', reject: 'reject_threshold', pixel: 'pixel_threshold' } as const;
export const EXPORT_OUTPUTS = ['score', 'anomaly_map', 'label', 'mask'] as const;
/** Values of `label`. */
export const LABELS = ['pass', 'review', 'reject'] as const;
/** Value of a marked pixel in `mask` (unmarked: 0), as in the workbench's stored masks. */
export const MASK_ON = 255;

export interface ExportThresholds {
  /** Score ≥ review → at least review (below: pass). */
  review: number;
  /** Score ≥ reject → reject. */
  reject: number;
  /** Map value ≥ pixel → marked in `mask`. */
  pixel: number;
}

export interface ExportParts {
  config: TrainingConfig;
  backbone: { bytes: Uint8Array; inputName: string; s8Name: string; s16Name: string };
  /** The version's heads graph: inputs s8, s16; outputs score [1], map [1, 1, h, w] (logits). */
  heads: Uint8Array;
  thresholds: ExportThresholds;
  metadata: Record<string, string>;
}

export function buildExportModel(parts: ExportParts): Uint8Array {
  const { config, thresholds } = parts;
  const g = new GraphBuilder('');
  const pre = new GraphBuilder('pre/');
  const input = addImagePreprocessing(pre, EXPORT_INPUT, config.size);
  g.nodes.push(...pre.nodes);
  g.initializers.push(...pre.initializers);

  const backbone = appendModel(g, parts.backbone.bytes, 'backbone/', { [parts.backbone.inputName]: input }, 'the backbone');
  const s8 = backbone.outputs[parts.backbone.s8Name];
  const s16 = backbone.outputs[parts.backbone.s16Name];
  if (!s8 || !s16) throw new MergeError(`the backbone has no outputs ${parts.backbone.s8Name} and ${parts.backbone.s16Name}`);
  const heads = appendModel(g, parts.heads, 'heads/', { s8, s16 }, 'the model heads');
  if (!heads.outputs.score || !heads.outputs.map) throw new MergeError('the model heads graph must give `score` and `map`');

  const post = new GraphBuilder('post/');
  const out = addMapPostprocessing(post, heads.outputs.map, heads.outputs.score, config);
  const review = post.float([thresholds.review], [], THRESHOLD_INPUTS.review);
  const reject = post.float([thresholds.reject], [], THRESHOLD_INPUTS.reject);
  const pixel = post.float([thresholds.pixel], [], THRESHOLD_INPUTS.pixel);
  post.named('Identity', [out.score], 'score');
  post.named('Identity', [out.map], 'anomaly_map');
  // label = [score ≥ review] + [score ≥ reject]: 0 pass, 1 review, 2 reject (reject ≥ review is checked on export)
  const atLeast = (t: string) => post.op('Cast', [post.op('GreaterOrEqual', [out.score, t])], { to: DataType.INT64 });
  post.named('Add', [atLeast(review), atLeast(reject)], 'label');
  // mask at the camera image's own size: the map resized back to H×W, then thresholded
  const hw = post.op('Slice', [post.op('Shape', [EXPORT_INPUT]), post.int64([0]), post.int64([2])]);
  const mapAtImage = post.op('Resize', [out.map, '', '', post.op('Concat', [post.int64([1, 1]), hw], { axis: 0 })], {
    mode: 'linear',
    coordinate_transformation_mode: 'half_pixel',
  });
  const marked = post.op('Where', [post.op('GreaterOrEqual', [mapAtImage, pixel]), uint8Scalar(post, MASK_ON), uint8Scalar(post, 0)]);
  post.named('Reshape', [marked, hw], 'mask');
  g.nodes.push(...post.nodes);
  g.initializers.push(...post.initializers);

  const { height, width } = config.size;
  return encodeModel(
    modelOf(g, {
      name: 'defect-workbench.pipeline',
      docString: 'Defect Workbench model: camera image (uint8 H×W×C) → score, anomaly_map, label (0 pass, 1 review, 2 reject), mask',
      inputs: [
        tensorInfo(EXPORT_INPUT, DataType.UINT8, ['height', 'width', 'channels']),
        tensorInfo(THRESHOLD_INPUTS.review, DataType.FLOAT, []),
        tensorInfo(THRESHOLD_INPUTS.reject, DataType.FLOAT, []),
        tensorInfo(THRESHOLD_INPUTS.pixel, DataType.FLOAT, []),
      ],
      outputs: [
        tensorInfo('score', DataType.FLOAT, [1]),
        tensorInfo('anomaly_map', DataType.FLOAT, [1, 1, height, width]),
        tensorInfo('label', DataType.INT64, [1]),
        tensorInfo('mask', DataType.UINT8, ['height', 'width']),
      ],
      metadata: parts.metadata,
    }),
  );
}

function uint8Scalar(g: GraphBuilder, value: number): string {
  const id = g.name('u8');
  g.initializers.push({ name: id, dims: [], dataType: DataType.UINT8, rawData: Uint8Array.of(value) });
  return id;
}
