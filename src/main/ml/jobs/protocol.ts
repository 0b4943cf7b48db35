// Messages between the main thread and an ML worker: requests carry an id, the worker answers with progress events
// and one result or error for that id; cancel is a message too (it takes effect at the job's next step boundary).
import type { Split } from '../../../shared/domain.js';
import type { EvaluationSummary, TrainingProgressEvent } from '../../../shared/models.js';
import type { ExecutionProvider } from '../engine/runtime.js';
import type { EvaluationProgress } from './evaluate.js';
import type { PredictedImage, PredictInput } from './predict.js';
import type { RunOutcome, TrainingOptions } from './trainingRun.js';

interface Common {
  id: number;
  projectRoot: string;
  providers?: ExecutionProvider[];
  threads?: number;
}

export type WorkerRequest =
  | (Common & { type: 'train'; start: { options: TrainingOptions } | { runId: string }; evaluateTest?: boolean })
  | (Common & { type: 'evaluate'; versionId: number; split: Split })
  | (Common & { type: 'predict'; versionId: number; images: PredictInput[] });

export type WorkerControl = { type: 'cancel'; id: number } | { type: 'close' };

export interface SerializedError {
  name: string;
  code: string | null;
  message: string;
}

export interface WorkerResults {
  train: RunOutcome;
  evaluate: EvaluationSummary;
  predict: PredictedImage[];
}

export type WorkerMessage =
  | { id: number; type: 'started'; runId: string }
  | { id: number; type: 'progress'; progress: TrainingProgressEvent | EvaluationProgress }
  | { id: number; type: 'result'; result: WorkerResults[keyof WorkerResults] }
  | { id: number; type: 'error'; error: SerializedError };
