// The renderer's memory of training: the run in progress and the history of its progress events (each loss term
// per step, images/s, validation metrics), kept outside any component so the plots survive closing the panel.
// Subscribes to the service's events once; components read it with useTrainingLog().
import { useSyncExternalStore } from 'react';
import type { TrainingStatus } from '../../../shared/api';
import type { TrainingFinishedEvent, TrainingProgressEvent } from '../../../shared/models';
import { api } from '../api/transport';

export interface TrainingLog {
  runId: string | null;
  /** Where each loss point falls, in epochs (fractional). */
  x: number[];
  losses: Record<string, number[]>;
  validationX: number[];
  validation: Record<string, number[]>;
  last: TrainingProgressEvent | null;
  finished: TrainingFinishedEvent | null;
  events: number;
}

const empty = (runId: string | null): TrainingLog => ({ runId, x: [], losses: {}, validationX: [], validation: {}, last: null, finished: null, events: 0 });

let log: TrainingLog = empty(null);
const listeners = new Set<() => void>();
const notify = () => listeners.forEach((l) => l());

function record(p: TrainingProgressEvent): void {
  const next = log.runId === p.runId ? { ...log } : empty(p.runId);
  next.last = p;
  next.finished = null;
  next.events++;
  if (p.phase === 'training' && Object.keys(p.losses).length > 0 && p.steps > 0) {
    // step counts the run's steps (1..steps); the x axis is in epochs, fractional within one
    const at = (p.step / p.steps) * p.epochs;
    // a resumed run starts again from its checkpoint: drop points past it so the curve stays a function
    while (next.x.length && next.x[next.x.length - 1]! >= at) {
      next.x = next.x.slice(0, -1);
      next.losses = Object.fromEntries(Object.entries(next.losses).map(([k, v]) => [k, v.slice(0, next.x.length)]));
    }
    next.x = [...next.x, at];
    const losses: Record<string, number[]> = {};
    for (const name of new Set([...Object.keys(next.losses), ...Object.keys(p.losses)])) {
      const series = next.losses[name] ?? new Array<number>(next.x.length - 1).fill(NaN);
      losses[name] = [...series, p.losses[name] ?? NaN];
    }
    next.losses = losses;
  }
  if (p.validation && Object.keys(p.validation).length > 0 && next.validationX[next.validationX.length - 1] !== p.epoch) {
    next.validationX = [...next.validationX, p.epoch];
    const validation: Record<string, number[]> = {};
    for (const name of new Set([...Object.keys(next.validation), ...Object.keys(p.validation)])) {
      validation[name] = [...(next.validation[name] ?? new Array<number>(next.validationX.length - 1).fill(NaN)), p.validation[name] ?? NaN];
    }
    next.validation = validation;
  }
  log = next;
  notify();
}

api.on('training.progress', record);
api.on('training.finished', (f) => {
  log = { ...(log.runId === f.runId ? log : empty(f.runId)), finished: f };
  notify();
});

export function useTrainingLog(): TrainingLog {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => log,
  );
}

/** Seeds the log from training.status when the panel opens while a run is going (events before then are gone). */
export function adoptStatus(status: TrainingStatus): void {
  const active = status.active;
  if (active?.progress && log.runId !== active.id) record(active.progress);
}
