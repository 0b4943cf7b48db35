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
import { fileErrorStatus, fileForHash, parseFilePath } from '../app/fileAccess.js';
import type { Workbench } from '../app/workbench.js';
import { CONTENT_SECURITY_POLICY_HEADER } from '../shell/csp.js';
import { checkRequest, TOKEN_COOKIE, sameToken } from './guard.js';
import { contentTypeOf } from '../shell/contentTypes.js';

/** The built renderer (out/renderer), from this file's place in out/node/main/bridge. */
export const RENDERER_DIR = fileURLToPath(new URL('../../../renderer', import.meta.url));

const MAX_BODY = 1024 * 1024;
/** How much of a refused body is read and dropped before the connection is cut. */
const MAX_DRAIN = 256 * 1024 * 1024;
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
  const events = new EventFanOut(options.workbench);
  const server = createServer((req, res) => {
    handle(req, res, options, port, token, events).catch((error: unknown) => {
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
        events.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

const badRequest = (res: ServerResponse, code: string, message: string) =>
  send(res, 400, 'application/json', JSON.stringify({ ok: false, error: { code, message } }));

async function handle(req: IncomingMessage, res: ServerResponse, options: BridgeOptions, port: number, token: string, events: EventFanOut): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    decodeURIComponent(url.pathname);
  } catch {
    return badRequest(res, 'bad-url', 'the request address is malformed (bad percent-encoding)');
  }
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
    if (body === null) return refuseTooLarge(req, res);
    let message: unknown;
    try {
      message = JSON.parse(body);
    } catch {
      return badRequest(res, 'bad-json', 'the request body is not JSON');
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      return badRequest(res, 'bad-call', 'the request body must be a JSON object {"channel": …, "input": …}');
    }
    const call = message as { channel?: unknown; input?: unknown };
    const result = await dispatch(options.workbench.handlers, call.channel, call.input);
    return send(res, 200, 'application/json', JSON.stringify(result));
  }

  if (url.pathname === '/api/events') return events.stream(req, res);

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
      return send(res, fileErrorStatus(error), 'application/json', JSON.stringify({ ok: false, error: toApiError(error) }));
    }
  }

  return serveStatic(res, options.rendererDir, url.pathname);
}

/** The body as text, or null once it passes MAX_BODY (the rest is then left unread). */
function readBody(req: IncomingMessage): Promise<string | null> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        req.off('data', onData);
        resolve(null);
      } else chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Answers 413 and then reads and drops what the client is still sending: closing a socket with unread bytes in it
 * resets the connection, and the client would see the reset instead of the answer. A client that keeps sending
 * past a bound is cut off.
 */
function refuseTooLarge(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(413, { 'Content-Type': 'application/json', Connection: 'close', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify({ ok: false, error: { code: 'too-large', message: `the request body is larger than ${MAX_BODY / 1024 / 1024} MiB` } }));
  let drained = 0;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > MAX_DRAIN) req.destroy();
  });
  req.resume();
}

/**
 * One subscription per event for the whole bridge, fanned out to every open event stream: listeners on the
 * workbench do not grow with the number of browser tabs.
 */
class EventFanOut {
  private readonly clients = new Set<ServerResponse>();
  private readonly unsubscribe: (() => void)[];
  private readonly keepAlive: NodeJS.Timeout;

  constructor(workbench: Workbench) {
    this.unsubscribe = EVENT_NAMES.map((event) =>
      workbench.on(event, (payload) => {
        const text = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
        for (const res of this.clients) res.write(text);
      }),
    );
    this.keepAlive = setInterval(() => {
      for (const res of this.clients) res.write(': keep-alive\n\n');
    }, 15_000);
    this.keepAlive.unref();
  }

  stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write(': connected\n\n');
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
  }

  close(): void {
    clearInterval(this.keepAlive);
    for (const off of this.unsubscribe) off();
    this.clients.clear();
  }
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
    'Content-Type': contentTypeOf(file),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': relative === 'index.html' ? 'no-store' : 'private, max-age=31536000, immutable',
  };
  if (relative === 'index.html') Object.assign(headers, { 'Content-Security-Policy': CONTENT_SECURITY_POLICY_HEADER, 'X-Frame-Options': 'DENY' });
  res.writeHead(200, headers);
  createReadStream(file).pipe(res);
}
