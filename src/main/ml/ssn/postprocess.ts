// From the heads' map logits to what people see and what scores are made of, run by ONNX Runtime on the very nodes
// the exported file ends with (ml/pipeline/mapOutput.ts): bilinear upsampling to the model input size, Gaussian
// smoothing, sigmoid, and the image score blended from the map's score as the preset says. One implementation of
// that arithmetic for the workbench and the line; on the CPU it is also ~4× faster than the same loops in JS.
import ort from 'onnxruntime-node';
import { mapPostprocessingModel, POSTPROCESS_IO } from '../pipeline/mapOutput.js';
import { createSession, type ExecutionProvider } from '../engine/runtime.js';
import type { TrainingConfig } from './types.js';

export interface FinishedMap {
  score: number;
  /** Probabilities at model input size, row-major. */
  map: Float32Array;
  /** The map's score: its maximum, or the mean of its top share of pixels (mapScoreTopShare). */
  mapScore: number;
}

export class MapFinisher {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly mapHeight: number,
    private readonly mapWidth: number,
  ) {}

  /** Post-processing for maps of mapHeight × mapWidth logits; CPU by default (a few ms, not worth a transfer). */
  static async create(config: TrainingConfig, mapHeight: number, mapWidth: number, options: { providers?: ExecutionProvider[]; threads?: number } = {}): Promise<MapFinisher> {
    const { session } = await createSession(mapPostprocessingModel(config, mapHeight, mapWidth), { providers: options.providers ?? ['cpu'], threads: options.threads ?? 1 });
    return new MapFinisher(session, mapHeight, mapWidth);
  }

  async finish(clsScore: number, logits: Float32Array): Promise<FinishedMap> {
    const io = POSTPROCESS_IO;
    const out = await this.session.run({
      [io.logits]: new ort.Tensor('float32', logits, [1, 1, this.mapHeight, this.mapWidth]),
      [io.clsScore]: new ort.Tensor('float32', Float32Array.of(clsScore), [1]),
    });
    return {
      score: (out[io.score]!.data as Float32Array)[0]!,
      map: out[io.map]!.data as Float32Array,
      mapScore: (out[io.mapScore]!.data as Float32Array)[0]!,
    };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
