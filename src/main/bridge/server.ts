// Browser mode: the renderer served on 127.0.0.1 and the same typed API over a local bridge. Calls are
// POST /api/call {channel, input}; events stream over Server-Sent Events at /api/events; pixels come from
// /files/<kind>/<sha256> (by content). Every request passes the guard (Host, Origin, Sec-Fetch-Site, per-run token).
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVENT_NAMES } from '../../shared/api.js';
import { dispatch, toApiError } from '../app/dispatch.js';
import { fileForHash, parseFilePath } from '../app/fileAccess.js';
import type { Workbench } from '../app/workbench.js';
import { CONTENT_SECURITY_POLICY_HEADER } from '../shell/csp.js';
import { checkRequest, TOKEN_COOKIE, sameToken } from './guard.js';

/** The built renderer (out/renderer), from this file's place in out/node/main/bridge. */
export const RENDERER_DIR = fileURLToPath(new URL('../../../renderer', import.meta.url));

const MAX_BODY = 1024 * 1024;
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export interface BridgeOptions {
  workbench: Workbench;
  /** Folder of the built renderer (index.html and assets). */
  rendererDir: string;
  port?: number;
  token?: string;
}

export interface Bridge {
  server: Server;
  port: number;
  token: string;
  /** The address to open: it carries the token once, which the page then keeps as a cookie. */
  url: string;
  close(): Promise<void>;
}

export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  let port = 0;
  const server = createServer((req, res) => {
    handle(req, res, options, port, token).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ ok: false, error: toApiError(error) }));
      else res.destroy();
    });
  });
  // loopback only: nothing on the network can reach the bridge
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse, options: BridgeOptions, port: number, token: string): Promise<void> {
  const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
  // the one request that may carry the token in its address: the first page load, which turns it into a cookie
  const fromQuery = req.method === 'GET' && url.pathname === '/' ? url.searchParams.get('token') : null;
  const verdict = checkRequest(req, port, token, fromQuery ?? undefined);
  if (!verdict.ok) return send(res, verdict.status, 'text/plain; charset=utf-8', `${verdict.reason}\n`);
  if (fromQuery && sameToken(fromQuery, token)) {
    res.writeHead(303, {
      Location: '/',
      'Set-Cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
      'Cache-Control': 'no-store',
    });
    return void res.end();
  }

  if (url.pathname === '/api/call') {
    if (req.method !== 'POST') return send(res, 405, 'text/plain', 'use POST\n');
    if (!req.headers['content-type']?.startsWith('application/json')) return send(res, 415, 'text/plain', 'send application/json\n');
    const body = await readBody(req);
    if (body === null) return send(res, 413, 'text/plain', 'request too large\n');
    let message: { channel?: unknown; input?: unknown };
    try {
      message = JSON.parse(body) as typeof message;
    } catch {
      return send(res, 400, 'application/json', JSON.stringify({ ok: false, error: { code: 'bad-json', message: 'the request body is not JSON' } }));
    }
    const result = await dispatch(options.workbench.handlers, message.channel, message.input);
    return send(res, 200, 'application/json', JSON.stringify(result));
  }

  if (url.pathname === '/api/events') return streamEvents(req, res, options.workbench);

  const file = parseFilePath(url.pathname);
  if (file) {
    try {
      const response = await fileForHash(options.workbench.current(), file.kind, file.sha256);
      // addressed by content: the same URL is always the same bytes, so it may be kept for good
      const headers = { 'Content-Type': response.contentType, 'Cache-Control': 'private, max-age=31536000, immutable', 'X-Content-Type-Options': 'nosniff' };
      if (response.kind === 'bytes') return void res.writeHead(200, headers).end(response.bytes);
      res.writeHead(200, headers);
      createReadStream(response.path).on('error', () => res.destroy()).pipe(res);
      return;
    } catch (error) {
      return send(res, 404, 'application/json', JSON.stringify({ ok: false, error: toApiError(error) }));
    }
  }

  return serveStatic(res, options.rendererDir, url.pathname);
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        resolve(null);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function streamEvents(req: IncomingMessage, res: ServerResponse, workbench: Workbench): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
  res.write(': connected\n\n');
  const unsubscribe = EVENT_NAMES.map((event) => workbench.on(event, (payload) => res.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`)));
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  req.on('close', () => {
    clearInterval(keepAlive);
    for (const off of unsubscribe) off();
  });
}

async function serveStatic(res: ServerResponse, root: string, pathname: string): Promise<void> {
  const relative = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
  const file = path.resolve(root, relative);
  if (!file.startsWith(path.resolve(root) + path.sep)) return send(res, 404, 'text/plain', 'not found\n');
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) {
    if (!existsSync(path.join(root, 'index.html'))) {
      return send(res, 503, 'text/plain; charset=utf-8', `the renderer is not built (no ${path.join(root, 'index.html')}); run "npm run build:renderer"\n`);
    }
    return send(res, 404, 'text/plain', 'not found\n');
  }
  const headers: Record<string, string> = {
    'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': relative === 'index.html' ? 'no-store' : 'private, max-age=31536000, immutable',
  };
  if (relative === 'index.html') Object.assign(headers, { 'Content-Security-Policy': CONTENT_SECURITY_POLICY_HEADER, 'X-Frame-Options': 'DENY' });
  res.writeHead(200, headers);
  createReadStream(file).pipe(res);
}
