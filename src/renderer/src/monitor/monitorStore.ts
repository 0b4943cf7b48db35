// The renderer's memory of the line monitor: its summary, the last scored parts, the problems and the recent scores,
// kept outside any component so the toolbar's state chip and the monitor screen show the same thing. Seeded from
// monitor.status, then kept live by the monitor.changed and monitor.file events.
import { useSyncExternalStore } from 'react';
import type { MonitorFileView, MonitorStatus, MonitorSummary } from '../../../shared/monitor';
import { api } from '../api/transport';

export const RECENT_SHOWN = 24;
const PROBLEMS_SHOWN = 20;
const SCORES_KEPT = 400;

let status: MonitorStatus | null = null;
const listeners = new Set<() => void>();
const notify = () => listeners.forEach((l) => l());

function set(next: MonitorStatus | null): void {
  status = next;
  notify();
}

/** Asks the service for the whole picture (on open, after start and stop, after a project switch). */
export async function refreshMonitor(): Promise<MonitorStatus | null> {
  try {
    set(await api.call('monitor.status', {}));
  } catch {
    set(null); // no project open
  }
  return status;
}

export function adoptMonitorStatus(next: MonitorStatus): void {
  set(next);
}

function summaryChanged(summary: MonitorSummary): void {
  if (!status) return void refreshMonitor();
  // a new watch (another folder or start time) starts its lists afresh
  if (summary.startedAt !== status.startedAt || summary.folder !== status.folder) return void refreshMonitor();
  set({ ...status, ...summary });
}

function fileSeen(file: MonitorFileView): void {
  if (!status) return;
  if (file.status === 'scored') {
    const n = (status.scores.at(-1)?.n ?? 0) + 1;
    set({
      ...status,
      recent: [file, ...status.recent].slice(0, RECENT_SHOWN),
      scores: [...status.scores, { n, score: file.score!, outcome: file.outcome! }].slice(-SCORES_KEPT),
    });
  } else set({ ...status, problems: [file, ...status.problems].slice(0, PROBLEMS_SHOWN) });
}

api.on('monitor.changed', summaryChanged);
api.on('monitor.file', fileSeen);
// another project (or none): its own watch; label edits in the same project change nothing here
let openRoot: string | null = null;
api.on('project.changed', (project) => {
  const root = project?.root ?? null;
  if (root === openRoot) return;
  openRoot = root;
  void refreshMonitor();
});

export function useMonitor(): MonitorStatus | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => status,
  );
}
