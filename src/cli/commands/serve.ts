import path from 'node:path';
import { Workbench } from '../../main/app/workbench.js';
import { RENDERER_DIR, startBridge } from '../../main/bridge/server.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { explained } from '../../shared/errors.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the app in browser mode: serve it on 127.0.0.1 and print the address to open',
  usage: 'dwb serve [--port <n>] [--project <dir>]',
  examples: ['dwb serve', 'dwb serve --port 8740 --project ~/inspection/bottles'],
  options: { port: { type: 'string' }, project: { type: 'string' } },
  allowPositionals: 0,
  async run(values, _positionals, ctx) {
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a port number (0 picks a free one)');
    const workbench = new Workbench('browser');
    if (typeof values.project === 'string') await workbench.handlers['project.open']({ dir: path.resolve(values.project) });
    const bridge = await startBridge({ workbench, rendererDir: RENDERER_DIR, port }).catch(async (error: unknown) => {
      await workbench.close();
      throw explained(error, { port });
    });
    ctx.out(`Defect Workbench is running in browser mode. Open this address in Chrome, Edge or Firefox:\n\n  ${bridge.url}\n\n(only this machine can reach it; press Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await bridge.close();
    await workbench.close();
  },
};
