// The main thread's handle on an ML worker: typed requests with progress and cancel by AbortSignal. A worker that
// dies (crash, out of memory) rejects every pending request with a clear error instead of leaving callers waiting.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CancelledError, InputError, ProjectError, WorkbenchError } from '../../../shared/errors.js';
import type { TrainingProgressEvent } from '../../../shared/models.js';
import type { EvaluationProgress } from './evaluate.js';
import type { SerializedError, WorkerControl, WorkerMessage, WorkerRequest, WorkerResults } from './protocol.js';

type Request = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onProgress?: (progress: TrainingProgressEvent | EvaluationProgress) => void;
  onStarted?: (runId: string) => void;
}

/**
 * The compiled worker script beside this module. Run from the TypeScript sources (the tests), this module is a .ts
 * file and the worker is taken from the build (out/node), since a worker thread cannot load TypeScript.
 */
export function workerScript(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return path.join(path.dirname(here), 'worker.js');
  const marker = `${path.sep}src${path.sep}`;
  const root = here.slice(0, here.lastIndexOf(marker));
  const built = path.join(root, 'out', 'node', path.relative(path.join(root, 'src'), path.dirname(here)), 'worker.js');
  if (!existsSync(built)) throw new Error(`the ML worker is not built (${built}); run npm run build:node`);
  return built;
}

export function deserializeError(error: SerializedError): Error {
  if (error.name === 'CancelledError') return new CancelledError(error.message.replace(/ was cancelled$/, ''));
  if (error.name === 'InputError') return new InputError(error.code ?? 'invalid-input', error.message);
  if (error.name === 'ProjectError') return new ProjectError(error.code ?? 'project', error.message);
  if (error.code) return new WorkbenchError(error.code, error.message);
  const plain = new Error(error.message);
  plain.name = error.name;
  return plain;
}

export class MlWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited = false;

  constructor() {
    this.worker = new Worker(workerScript());
    this.worker.on('message', (message: WorkerMessage) => this.receive(message));
    this.worker.on('error', (error) => this.failAll(new Error(`the ML worker failed: ${error.message}`)));
    this.worker.on('exit', (code) => {
      this.exited = true;
      this.failAll(new Error(`the ML worker stopped (exit code ${code}) before it answered`));
    });
  }

  request<T extends Request['type']>(
    request: Extract<Request, { type: T }>,
    options: {
      signal?: AbortSignal;
      onProgress?: (progress: TrainingProgressEvent | EvaluationProgress) => void;
      onStarted?: (runId: string) => void;
    } = {},
  ): Promise<WorkerResults[T]> {
    if (this.exited) return Promise.reject(new Error('the ML worker has stopped'));
    const id = this.nextId++;
    return new Promise<WorkerResults[T]>((resolve, reject) => {
      const onAbort = () => this.post({ type: 'cancel', id });
      this.pending.set(id, {
        resolve: (value) => {
          options.signal?.removeEventListener('abort', onAbort);
          resolve(value as WorkerResults[T]);
        },
        reject: (error) => {
          options.signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.onStarted ? { onStarted: options.onStarted } : {}),
      });
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
      this.worker.postMessage({ ...request, id });
    });
  }

  /** Lets the worker release its sessions and exit. */
  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.post({ type: 'close' });
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    if (!this.exited) await this.worker.terminate();
  }

  private post(message: WorkerControl): void {
    if (!this.exited) this.worker.postMessage(message);
  }

  private receive(message: WorkerMessage): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === 'started') pending.onStarted?.(message.runId);
    else if (message.type === 'progress') pending.onProgress?.(message.progress);
    else {
      this.pending.delete(message.id);
      if (message.type === 'result') pending.resolve(message.result);
      else pending.reject(deserializeError(message.error));
    }
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
