// Issue 14, bridge: malformed requests get a 4xx with a body (never a 500 or a reset connection), and many event
// streams share one subscription.
import { mkdtemp } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecentProjects } from '../../src/main/app/recentProjects.js';
import { Workbench } from '../../src/main/app/workbench.js';
import { startBridge, type Bridge } from '../../src/main/bridge/server.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();
let workbench: Workbench;
let bridge: Bridge;

beforeEach(async () => {
  const dir = await tempDir();
  workbench = new Workbench('browser', new RecentProjects(dir));
  bridge = await startBridge({ workbench, rendererDir: await mkdtemp(path.join(os.tmpdir(), 'dwb-renderer-')), port: 0 });
});
afterEach(async () => {
  await bridge.close();
  await workbench.close();
});

/** A raw request, so headers a browser would never send (a malformed cookie) can be sent. */
function raw(pathname: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: bridge.port, path: pathname, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const auth = () => ({ Authorization: `Bearer ${bridge.token}`, 'Content-Type': 'application/json' });

describe('the bridge answers malformed requests with a 4xx and a body', () => {
  it('a JSON body of null, or an array, is a 400', async () => {
    for (const body of ['null', '[1]', '42']) {
      const answer = await raw('/api/call', { method: 'POST', headers: auth(), body });
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body).error.message).toMatch(/must be a JSON object/);
    }
  });

  it('a malformed percent-encoded cookie is refused as unauthenticated, not a 500', async () => {
    const answer = await raw('/', { headers: { Cookie: 'dwb_token=%E0%A4%A' } });
    expect(answer.status).toBe(401);
  });

  it('a malformed percent-encoded path is a 400', async () => {
    const answer = await raw('/assets/%E0%A4%A.js', { headers: auth() });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error.message).toMatch(/malformed/);
  });

  it('a 50 MB body is answered 413 with a body, not a reset connection', async () => {
    const answer = await raw('/api/call', { method: 'POST', headers: auth(), body: Buffer.alloc(50 * 1024 * 1024, 0x20) });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.message).toMatch(/larger than 1 MiB/);
    // the same request streamed without a Content-Length
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: bridge.port, path: '/api/call', method: 'POST', headers: { ...auth(), 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write(Buffer.alloc(1024 * 1024, 0x20));
      req.end();
    });
    expect(chunked).toBe(413);
  });

  it('150 event streams print no MaxListeners warning and each gets the events', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const controller = new AbortController();
    try {
      const streams = await Promise.all(
        Array.from({ length: 150 }, () => fetch(`http://127.0.0.1:${bridge.port}/api/events`, { headers: auth(), signal: controller.signal })),
      );
      expect(streams.every((s) => s.status === 200)).toBe(true);
      const project = path.join(await tempDir(), 'p');
      const last = streams.at(-1)!.body!.getReader();
      await workbench.handlers['project.create']({ dir: project });
      let text = '';
      while (!text.includes('event: project.changed')) text += new TextDecoder().decode((await last.read()).value);
      await new Promise((r) => setTimeout(r, 50));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      controller.abort();
      process.off('warning', onWarning);
    }
  });
});
