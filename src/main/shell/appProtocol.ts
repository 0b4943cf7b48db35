// The desktop app's one privileged scheme: the renderer and its files are served on dwb://app, so the page has a
// real origin (not file://, whose paths differ per OS and install folder), images are same-origin (canvases stay
// clean, the CSP's 'self' allows them), and the IPC check compares origins. Plain Node (Request/Response), no
// Electron import, so it is tested without the Electron binary.
import { readFile } from 'node:fs/promises';
import nodePath from 'node:path';
import { toApiError } from '../app/dispatch.js';
import { fileErrorStatus, fileForHash, parseFilePath } from '../app/fileAccess.js';
import type { Workbench } from '../app/workbench.js';
import { CONTENT_SECURITY_POLICY_HEADER } from './csp.js';
import { contentTypeOf } from './contentTypes.js';

export const APP_SCHEME = 'dwb';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

/** Privileges of the scheme (for protocol.registerSchemesAsPrivileged): a standard, secure origin like https. */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, codeCache: true } as const;

/** Whether a frame's URL is the app's own page: compared as scheme and host, whatever folder the app is installed in. */
export function isAppUrl(url: string, devOrigin: string | null = null): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST) return true;
  // the dev server (unpackaged builds only): compared as an origin, never as a prefix
  return devOrigin !== null && /^https?:$/.test(parsed.protocol) && parsed.origin === devOrigin;
}

/**
 * The file of the built renderer a URL path names, or null when it would leave the renderer folder. `path` is the
 * platform's path module (path.win32 on Windows), so Windows install folders are checked on any machine.
 */
export function rendererFile(rendererDir: string, pathname: string, path: typeof nodePath = nodePath): string | null {
  let relative: string;
  try {
    relative = decodeURIComponent(pathname === '/' ? '/index.html' : pathname).replace(/^\/+/, '');
  } catch {
    return null;
  }
  if (relative.includes('\0') || relative.split(/[\\/]/).includes('..')) return null;
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, relative);
  return file.startsWith(root + path.sep) ? file : null;
}

const notFound = (why: string) => new Response(why, { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });

/** Answers one dwb: request: a stored file by kind and content hash, or a file of the built renderer. */
export async function handleAppRequest(request: Request, workbench: Workbench, rendererDir: string): Promise<Response> {
  const url = new URL(request.url);
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return new Response('unknown host', { status: 403 });
  if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('read-only', { status: 405 });
  if (url.pathname.startsWith('/files/')) {
    const address = parseFilePath(url.pathname);
    if (!address) return notFound('no such file address; files are /files/<thumbnail|image|mask>/<sha256>');
    try {
      const file = await fileForHash(workbench.current(), address.kind, address.sha256);
      const body = file.kind === 'bytes' ? file.bytes : await readFile(file.path);
      return new Response(new Uint8Array(body), {
        headers: { 'Content-Type': file.contentType, 'Cache-Control': 'private, max-age=31536000, immutable', 'X-Content-Type-Options': 'nosniff' },
      });
    } catch (error) {
      // the same answer as the browser-mode bridge: 404 missing, 409 damaged, with the error the renderer shows
      return new Response(JSON.stringify({ ok: false, error: toApiError(error) }), {
        status: fileErrorStatus(error),
        headers: { 'Content-Type': 'application/json; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
      });
    }
  }
  const file = rendererFile(rendererDir, url.pathname);
  if (!file) return notFound('not found');
  const body = await readFile(file).catch(() => null);
  if (!body) return notFound('not found');
  const headers: Record<string, string> = { 'Content-Type': contentTypeOf(file), 'X-Content-Type-Options': 'nosniff' };
  if (nodePath.extname(file) === '.html') headers['Content-Security-Policy'] = CONTENT_SECURITY_POLICY_HEADER;
  return new Response(new Uint8Array(body), { headers });
}

/** Where the window loads from: the app scheme, or the dev server only in an unpackaged build. */
export function rendererEntry(options: { packaged: boolean; devUrl: string | undefined }): { url: string; devOrigin: string | null } {
  if (options.packaged || !options.devUrl) return { url: APP_ENTRY, devOrigin: null };
  const dev = new URL(options.devUrl);
  if (!/^https?:$/.test(dev.protocol) || !['localhost', '127.0.0.1', '[::1]'].includes(dev.hostname)) return { url: APP_ENTRY, devOrigin: null };
  return { url: dev.href, devOrigin: dev.origin };
}
