// The line monitor behind the typed API: one LineMonitor for the open project, resumed as the project opens when
// its saved watch was left on, and ended (still saved) when the project closes.
import type { ApiEvents, EventName } from '../../shared/api.js';
import { resolveUserPath } from '../fs/userPaths.js';
import { LineMonitor, type LineMonitorOptions } from '../monitor/lineMonitor.js';
import type { Project } from '../store/project.js';
import type { Handlers } from './dispatch.js';

type MonitorChannel = 'monitor.start' | 'monitor.stop' | 'monitor.status';

export class MonitorService {
  private monitor: { project: Project; line: LineMonitor } | null = null;

  constructor(
    private readonly current: () => Project,
    private readonly emit: <E extends EventName>(event: E, payload: ApiEvents[E]) => void,
    private readonly options: () => LineMonitorOptions = () => ({}),
  ) {}

  /** The open project's monitor, made (and its saved watch resumed) on first use. */
  private line(): LineMonitor {
    const project = this.current();
    if (this.monitor?.project !== project) {
      this.monitor = { project, line: new LineMonitor(project, this.emit, this.options()) };
      this.monitor.line.resume();
    }
    return this.monitor.line;
  }

  /** A project was opened: its saved watch goes on. */
  opened(): void {
    this.line();
  }

  async close(): Promise<void> {
    const monitor = this.monitor;
    this.monitor = null;
    await monitor?.line.close();
  }

  readonly handlers: Pick<Handlers, MonitorChannel> = {
    'monitor.start': async ({ folder, version, recursive, includeExisting }) =>
      this.line().start({
        folder: resolveUserPath(folder),
        ...(version !== undefined ? { version } : {}),
        ...(recursive !== undefined ? { recursive } : {}),
        ...(includeExisting !== undefined ? { includeExisting } : {}),
      }),
    'monitor.stop': async () => this.line().stop(),
    'monitor.status': async () => this.line().status(),
  };
}
