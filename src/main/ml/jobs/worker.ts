// The ML worker thread: training runs, evaluations and predictions happen here, never on the main thread (an ONNX
// Runtime step blocks its thread for its whole duration). Each request opens the project with its own catalog
// connection (SQLite in WAL mode serves both threads); predictors stay loaded for the next request on the same version.
import { parentPort } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { CancelledError, WorkbenchError } from '../../../shared/errors.js';
import { exportModelVersion } from '../../deploy/exportModel.js';
import { deriveLineThresholds } from '../../deploy/thresholdsService.js';
import { Project } from '../../store/project.js';
import { evaluateVersion } from './evaluate.js';
import { VersionPredictor } from './predict.js';
import type { SerializedError, WorkerControl, WorkerMessage, WorkerRequest, WorkerResults } from './protocol.js';
import type { ExecutionProvider } from '../engine/runtime.js';
import { MODEL_INPUT_ERRORS, probeBackbone } from './ssn.js';
import { createTrainingRun, executeTrainingRun } from './trainingRun.js';

if (!parentPort) throw new Error('worker.ts runs as a worker thread');
// providers that fail to load (CUDA without its libraries, say) are reported through the runtime's attempts, not as
// native error lines on the terminal
ort.env.logLevel = 'fatal';
const port = parentPort;
const controllers = new Map<number, AbortController>();
let cached: { key: string; project: Project; predictor: VersionPredictor } | null = null;
/** Providers found to load in this process (probed once with a backbone), best first. */
let usable: ExecutionProvider[] | null = null;

async function providersFor(request: WorkerRequest, backbonePath: () => string): Promise<ExecutionProvider[]> {
  if (request.providers) return request.providers;
  usable ??= (await probeBackbone(backbonePath())).providers;
  return usable;
}

function send(message: WorkerMessage): void {
  port.postMessage(message);
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof WorkbenchError) return { name: error.name, code: error.code, message: error.message };
  const e = error instanceof Error ? error : new Error(String(error));
  const code = MODEL_INPUT_ERRORS[e.name];
  return { name: code ? 'InputError' : e.name, code: code ?? null, message: e.message };
}

async function releaseCached(): Promise<void> {
  if (!cached) return;
  const { project, predictor } = cached;
  cached = null;
  await predictor.release();
  project.close();
}

/** Predictions share one cached predictor: they run one request at a time, so none releases it under another. */
let predictions: Promise<unknown> = Promise.resolve();

async function handle(request: WorkerRequest, signal: AbortSignal): Promise<WorkerResults[keyof WorkerResults]> {
  if (request.type === 'predict') {
    const turn = predictions.then(() => predict(request, signal));
    predictions = turn.catch(() => undefined);
    return turn;
  }
  return trainOrEvaluate(request, signal);
}

async function predict(request: Extract<WorkerRequest, { type: 'predict' }>, signal: AbortSignal): Promise<WorkerResults['predict']> {
  const key = `${request.projectRoot}\0${request.versionId}`;
  if (cached?.key !== key) {
    await releaseCached();
    const project = await Project.open(request.projectRoot);
    try {
      const version = project.models.require(request.versionId);
      const providers = await providersFor(request, () => project.models.backbonePath(version.backboneSha256));
      cached = { key, project, predictor: await VersionPredictor.open(project, request.versionId, providers) };
    } catch (error) {
      project.close();
      throw error;
    }
  }
  const results = [];
  for (const image of request.images) {
    if (signal.aborted) throw new CancelledError('the prediction');
    results.push(await cached!.predictor.predict(image));
  }
  return results;
}

async function trainOrEvaluate(
  request: Exclude<WorkerRequest, { type: 'predict' }>,
  signal: AbortSignal,
): Promise<WorkerResults[Exclude<keyof WorkerResults, 'predict'>]> {
  const project = await Project.open(request.projectRoot);
  try {
    if (request.type === 'export') {
      return await exportModelVersion(project, { ...(request.versionId !== undefined ? { versionId: request.versionId } : {}), out: request.out, ...(request.threads ? { threads: request.threads } : {}) });
    }
    if (request.type === 'thresholds') return await deriveLineThresholds(project, request.versionId, request.targets, { signal });
    if (request.type === 'evaluate') {
      const version = project.models.require(request.versionId);
      const providers = { providers: await providersFor(request, () => project.models.backbonePath(version.backboneSha256)) };
      return await evaluateVersion(project, request.versionId, request.split, {
        signal,
        ...providers,
        onProgress: (progress) => send({ id: request.id, type: 'progress', progress }),
      });
    }
    let runId: string;
    if ('runId' in request.start) runId = request.start.runId;
    else {
      const created = await createTrainingRun(project, request.start.options, request.providers);
      runId = created.runId;
      usable ??= created.providers;
    }
    send({ id: request.id, type: 'started', runId });
    const run = project.runs.get(runId);
    const providers = run ? { providers: await providersFor(request, () => project.models.backbonePath(run.request.backbone.sha256)) } : {};
    return await executeTrainingRun(project, runId, {
      signal,
      ...providers,
      ...(request.threads ? { threads: request.threads } : {}),
      ...(request.evaluateTest === false ? { evaluateTest: false } : {}),
      onProgress: (progress) => send({ id: request.id, type: 'progress', progress }),
    });
  } finally {
    project.close();
  }
}

port.on('message', (message: WorkerRequest | WorkerControl) => {
  if (message.type === 'cancel') {
    controllers.get(message.id)?.abort();
    return;
  }
  if (message.type === 'close') {
    void releaseCached().finally(() => port.close());
    return;
  }
  const controller = new AbortController();
  controllers.set(message.id, controller);
  handle(message, controller.signal)
    .then((result) => send({ id: message.id, type: 'result', result }))
    .catch((error: unknown) => send({ id: message.id, type: 'error', error: serializeError(error) }))
    .finally(() => controllers.delete(message.id));
});
