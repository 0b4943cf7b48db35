// Who may talk to the browser-mode bridge: only a page this process served, on loopback, holding the per-run token.
// Checks Host (against DNS rebinding), Origin and Sec-Fetch-Site (against other local pages) and the token (against
// other local processes), for every request, assets included.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'dwb_token';

export interface GuardVerdict {
  ok: boolean;
  status: number;
  reason: string;
}

const allow: GuardVerdict = { ok: true, status: 200, reason: '' };
const deny = (status: number, reason: string): GuardVerdict => ({ ok: false, status, reason });

export function tokenFromRequest(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const cookies = req.headers.cookie?.split(';').map((c) => c.trim()) ?? [];
  const cookie = cookies.find((c) => c.startsWith(`${TOKEN_COOKIE}=`));
  if (!cookie) return null;
  try {
    return decodeURIComponent(cookie.slice(TOKEN_COOKIE.length + 1));
  } catch {
    return null; // malformed percent-encoding: no token, so the request is refused as unauthenticated
  }
}

export function sameToken(a: string | null, b: string): boolean {
  if (!a) return false;
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

export function checkRequest(req: IncomingMessage, port: number, token: string, presented: string | null = tokenFromRequest(req)): GuardVerdict {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (!req.headers.host || !hosts.includes(req.headers.host)) return deny(421, `unexpected Host header ${JSON.stringify(req.headers.host ?? '')}`);
  const origin = req.headers.origin;
  if (origin !== undefined && !hosts.some((h) => origin === `http://${h}`)) return deny(403, `requests from ${origin} are not allowed`);
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return deny(403, `cross-site request (${site}) refused`);
  if (!sameToken(presented, token)) return deny(401, 'missing or wrong token: open the address that "dwb serve" printed');
  return allow;
}
