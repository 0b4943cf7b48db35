// The desktop shell, checked without the Electron binary (it cannot be downloaded here): the built preload is a
// script a sandboxed page can load; the built page's CSP allows every URL the renderer makes and nothing else is
// needed; the IPC origin check holds on Windows, macOS and Linux install folders with spaces; the dwb: protocol
// serves only the open project's files, by valid kind and hash, and the renderer's own files.
import { readFile, writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { build } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';
import { FILE_KINDS, fileUrl } from '../../src/shared/api.js';
import { RecentProjects } from '../../src/main/app/recentProjects.js';
import { Workbench } from '../../src/main/app/workbench.js';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { APP_ENTRY, handleAppRequest, isAppUrl, rendererEntry, rendererFile } from '../../src/main/shell/appProtocol.js';
import { CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_HEADER } from '../../src/main/shell/csp.js';
import { writeMask, writeSurface } from '../helpers/images.js';
import { PROJECT_ROOT, useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();
const RENDERER = path.join(PROJECT_ROOT, 'out/renderer');

describe('the preload script', () => {
  let code: string;
  beforeAll(async () => {
    await build({ configFile: path.join(PROJECT_ROOT, 'vite.preload.config.ts'), logLevel: 'error' });
    code = await readFile(path.join(PROJECT_ROOT, 'out/preload/index.cjs'), 'utf8');
  }, 120_000);

  it('is one CommonJS file that a sandboxed page runs, exposing call/on and nothing else', async () => {
    expect(readdirSync(path.join(PROJECT_ROOT, 'out/preload'))).toEqual(['index.cjs']);
    // a classic script: an ES module (import/export) would not even compile here, as in Electron's sandbox
    const script = new vm.Script(`(function (require, module, exports) {${code}\n})`, { filename: 'index.cjs' });
    const exposed: Record<string, unknown> = {};
    const invoked: unknown[][] = [];
    const electron = {
      contextBridge: { exposeInMainWorld: (name: string, api: unknown) => (exposed[name] = api) },
      ipcRenderer: { invoke: async (...args: unknown[]) => (invoked.push(args), { ok: true, result: null }), on: () => undefined, removeListener: () => undefined },
    };
    // a sandboxed preload may require Electron's modules only
    const required: string[] = [];
    const sandboxRequire = (name: string) => {
      required.push(name);
      if (name === 'electron') return electron;
      throw new Error(`module not found: ${name} (a sandboxed preload cannot load it)`);
    };
    const module = { exports: {} };
    (script.runInNewContext({ console }) as (r: unknown, m: unknown, e: unknown) => void)(sandboxRequire, module, module.exports);
    expect(required).toEqual(['electron']);
    expect(Object.keys(exposed)).toEqual(['dwb']);
    const dwb = exposed.dwb as { call(c: string, i: unknown): Promise<unknown>; on(e: string, l: () => void): () => void };
    expect(Object.keys(dwb).sort()).toEqual(['call', 'on']);
    await dwb.call('app.info', {});
    expect(invoked).toEqual([['dwb:call', 'app.info', {}]]);
    await expect(dwb.call('fs.deleteEverything', {})).resolves.toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    expect(invoked).toHaveLength(1);
    expect(() => dwb.on('not.an.event', () => undefined)).toThrow(/no event named/);
  });
});

/** The sources a CSP directive lists (default-src when the directive is absent). */
function sources(policy: string, directive: string): string[] {
  const entries = new Map(policy.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...rest]) => [name!, rest]));
  return entries.get(directive) ?? entries.get('default-src') ?? [];
}

/** Whether a URL loaded by a page at `page` is allowed by a directive: 'self', scheme sources and 'none'. */
function allows(policy: string, directive: string, url: string, page: string): boolean {
  const [target, origin] = [new URL(url, page), new URL(page)];
  return sources(policy, directive).some((source) => {
    if (source === "'self'") return target.protocol === origin.protocol && target.host === origin.host;
    if (/^[a-z][a-z0-9+.-]*:$/.test(source)) return target.protocol === source;
    return false;
  });
}

describe("the built page's Content-Security-Policy", () => {
  const SHA = 'ab'.repeat(32);
  const PAGES = ['http://127.0.0.1:43210/', APP_ENTRY];

  it('is the one policy both shells send, and allows every picture URL the renderer makes, in either shell', async () => {
    const html = await readFile(path.join(RENDERER, 'index.html'), 'utf8');
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(CONTENT_SECURITY_POLICY);
    for (const policy of [meta!, CONTENT_SECURITY_POLICY_HEADER]) {
      for (const page of PAGES) {
        for (const kind of FILE_KINDS) expect(allows(policy, 'img-src', fileUrl(kind, SHA), page), `${kind} on ${page}`).toBe(true);
        for (const call of ['/api/call', '/api/events']) expect(allows(policy, 'connect-src', call, page)).toBe(true);
        expect(allows(policy, 'img-src', 'blob:x', page)).toBe(true);
        // nothing from elsewhere: not the disk, not another local server
        expect(allows(policy, 'img-src', 'file:///etc/passwd', page)).toBe(false);
        expect(allows(policy, 'img-src', 'http://127.0.0.1:1/x.png', page)).toBe(false);
        expect(allows(policy, 'script-src', 'data:text/javascript,1', page)).toBe(false);
      }
    }
  });

  it('matches the URLs in the built bundle: no other scheme for pictures (the old dwb-file: was blocked)', async () => {
    const assets = path.join(RENDERER, 'assets');
    const bundle = (await Promise.all(readdirSync(assets).filter((f) => f.endsWith('.js')).map((f) => readFile(path.join(assets, f), 'utf8')))).join('\n');
    expect(bundle).toContain('/files/');
    expect(bundle).not.toMatch(/dwb-file:/);
    expect(bundle).not.toMatch(/["'`]file:\/\//);
  });
});

describe('the IPC origin check', () => {
  // where the app may be installed: the page's URL is the same dwb://app/ everywhere, so none of this matters
  const INSTALLS = [
    ['win32', 'C:\\Program Files\\Defect Workbench\\resources\\app.asar\\out\\renderer'],
    ['darwin', '/Applications/Defect Workbench.app/Contents/Resources/app.asar/out/renderer'],
    ['linux', '/opt/Defect Workbench/resources/app.asar/out/renderer'],
  ] as const;

  it('accepts the app page and nothing else, compared as scheme and host', () => {
    expect(isAppUrl(APP_ENTRY)).toBe(true);
    expect(isAppUrl('dwb://app/')).toBe(true);
    for (const url of ['dwb://evil/index.html', 'dwb://app.evil/index.html', 'https://app/index.html', 'http://localhost:5173/', 'about:blank', '', 'not a url']) {
      expect(isAppUrl(url), url).toBe(false);
    }
    for (const [, dir] of INSTALLS) {
      // file: pages are never trusted, wherever the app lies
      expect(isAppUrl(`file://${dir}/index.html`)).toBe(false);
      expect(isAppUrl(new URL(`file:///${dir.replace(/\\/g, '/').replace(/^\//, '')}/index.html`).href)).toBe(false);
    }
  });

  it("trusts the dev server's origin only when given, as a whole origin", () => {
    const dev = 'http://localhost:5173';
    expect(isAppUrl('http://localhost:5173/index.html', dev)).toBe(true);
    for (const url of ['http://localhost:5173.evil.com/', 'http://localhost:51730/', 'https://localhost:5173/', 'http://127.0.0.1:5173/']) expect(isAppUrl(url, dev), url).toBe(false);
  });

  it('ignores ELECTRON_RENDERER_URL in a packaged app, and a dev URL that is not on this machine', () => {
    expect(rendererEntry({ packaged: true, devUrl: 'http://localhost:5173/' })).toEqual({ url: APP_ENTRY, devOrigin: null });
    expect(rendererEntry({ packaged: false, devUrl: undefined })).toEqual({ url: APP_ENTRY, devOrigin: null });
    expect(rendererEntry({ packaged: false, devUrl: 'http://evil.example:5173/' })).toEqual({ url: APP_ENTRY, devOrigin: null });
    expect(rendererEntry({ packaged: false, devUrl: 'http://localhost:5173/' })).toEqual({ url: 'http://localhost:5173/', devOrigin: 'http://localhost:5173' });
  });

  it('finds the renderer files in install folders with spaces, on each OS, and never outside them', () => {
    for (const [os, dir] of INSTALLS) {
      const p = os === 'win32' ? path.win32 : path.posix;
      expect(rendererFile(dir, '/', p)).toBe(p.join(dir, 'index.html'));
      expect(rendererFile(dir, '/assets/index%20x.js', p)).toBe(p.join(dir, 'assets', 'index x.js'));
      for (const bad of ['/../project.sqlite', '/assets/%2e%2e/%2e%2e/secret', '/assets/..%5c..%5csecret', '/%00', '/%E0%A4%A']) {
        expect(rendererFile(dir, bad, p), `${os} ${bad}`).toBeNull();
      }
    }
  });

  it('(why the old check failed) an OS path is not a URL prefix of the page Chromium reports', () => {
    const main = 'C:\\Program Files\\Defect Workbench\\resources\\app.asar\\out\\main';
    const oldPrefix = `file://${path.win32.join(main, '../renderer/index.html')}`.split('index.html')[0]!;
    const frameUrl = 'file:///C:/Program%20Files/Defect%20Workbench/resources/app.asar/out/renderer/index.html';
    expect(frameUrl.startsWith(oldPrefix)).toBe(false);
  });
});

describe('the dwb: protocol', () => {
  it('serves the open project files by valid kind and hash, the renderer with its CSP, and refuses the rest', async () => {
    const dir = await tempDir();
    await writeSurface(path.join(dir, 'src/train/good/a.png'), { width: 32, height: 24, seed: 1 });
    await writeSurface(path.join(dir, 'src/test/crack/b.png'), { width: 32, height: 24, seed: 2 });
    await writeMask(path.join(dir, 'src/ground_truth/crack/b_mask.png'), 32, 24, (x) => (x > 16 ? 255 : 0));
    const workbench = new Workbench('electron', new RecentProjects(path.join(dir, 'settings')));
    try {
      await workbench.handlers['project.create']({ dir: path.join(dir, 'p') });
      await runImport(workbench.current(), await planImport(path.join(dir, 'src'), 'mvtec'));
      const crack = workbench.current().images.summaries().find((s) => s.maskSha256)!;
      const get = (url: string, method = 'GET') => handleAppRequest(new Request(url, { method }), workbench, RENDERER);

      const thumb = await get(`dwb://app${fileUrl('thumbnail', crack.sha256)}`);
      expect([thumb.status, thumb.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
      const mask = await get(`dwb://app${fileUrl('mask', crack.maskSha256!)}`);
      expect([mask.status, mask.headers.get('content-type')]).toEqual([200, 'image/png']);
      expect((await get(`dwb://app${fileUrl('image', crack.sha256)}`)).status).toBe(200);

      expect((await get(`dwb://app/files/secret/${crack.sha256}`)).status).toBe(404);
      expect((await get(`dwb://app/files/image/${crack.maskSha256}`)).status).toBe(404); // a mask's hash is not an image
      expect((await get(`dwb://app/files/mask/${crack.sha256}`)).status).toBe(404);
      expect((await get('dwb://app/files/image/1')).status).toBe(404);
      expect((await get('dwb://app/files/image/..%2F..%2Fproject.sqlite')).status).toBe(404);
      expect((await get('dwb://app/project.sqlite')).status).toBe(404);
      expect((await get('dwb://elsewhere/index.html')).status).toBe(403);
      expect((await get('dwb://app/index.html', 'POST')).status).toBe(405);

      const page = await get('dwb://app/index.html');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY_HEADER);

      // a stored image whose bytes changed: 409 with the error the renderer shows, as the browser-mode bridge answers
      const image = workbench.current().images.get(crack.id)!;
      await writeFile(workbench.current().imagePath(image), Buffer.from('not the imported bytes'));
      const damaged = await get(`dwb://app${fileUrl('image', crack.sha256)}`);
      expect(damaged.status).toBe(409);
      const body = (await damaged.json()) as { ok: boolean; error: { code: string; message: string } };
      expect(body.error.code).toBe('file-damaged');
      expect(body.error.message).toMatch(/dwb check --project/);

      // another project open: the first one's files are gone from the protocol
      await workbench.handlers['project.create']({ dir: path.join(dir, 'q') });
      expect((await get(`dwb://app${fileUrl('thumbnail', crack.sha256)}`)).status).toBe(404);
    } finally {
      await workbench.close();
    }
  });
});
