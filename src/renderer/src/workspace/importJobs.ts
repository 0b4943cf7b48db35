// Import jobs as the renderer knows them, kept outside any component: events are recorded from the first moment,
// whatever dialog is open, so a job that finishes before its starter has learnt its id (an empty folder finishes
// at once) is still found finished; a reloaded page asks the app for the job that is running.
import { useSyncExternalStore } from 'react';
import type { ImportJobState } from '../../../shared/domain';
import { api } from '../api/transport';

const jobs = new Map<string, ImportJobState>();
const listeners = new Set<() => void>();
let subscribed = false;
let version = 0;

function update(jobId: string, patch: Partial<ImportJobState>): void {
  const before = jobs.get(jobId) ?? { jobId, source: '', running: true, progress: null, report: null, error: null };
  // a finished job stays finished: a late progress event or status answer never revives it
  const finished = !before.running;
  jobs.set(jobId, finished ? { ...before, ...patch, running: false, report: before.report ?? patch.report ?? null, error: before.error ?? patch.error ?? null } : { ...before, ...patch });
  version++;
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  if (!subscribed) {
    subscribed = true;
    api.on('import.progress', ({ jobId, ...progress }) => update(jobId, { progress }));
    api.on('import.finished', ({ jobId, report, error }) => update(jobId, { running: false, report, error }));
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Starts listening before any job exists (call once, early). */
export function watchImports(): void {
  subscribe(() => undefined);
}

/** Records a job the caller started or found, and asks the app for its state in case events went by unseen. */
export async function trackJob(state: ImportJobState): Promise<void> {
  update(state.jobId, state);
  try {
    update(state.jobId, await api.call('import.status', { jobId: state.jobId }));
  } catch {
    // the job is gone from the app (restarted): what the events said stands
  }
}

export function useImportJob(jobId: string | null): ImportJobState | null {
  useSyncExternalStore(subscribe, () => version);
  return jobId ? (jobs.get(jobId) ?? null) : null;
}

/** The import running now, if any (found again after a reload). */
export function useRunningImport(): ImportJobState | null {
  useSyncExternalStore(subscribe, () => version);
  return [...jobs.values()].find((j) => j.running) ?? null;
}

/** Asks the app whether an import is running (after a reload, the page knows nothing of it). */
export async function findRunningImport(): Promise<ImportJobState | null> {
  const current = await api.call('import.current', {});
  if (current) await trackJob(current);
  return current;
}
