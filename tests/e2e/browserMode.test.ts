// The app as a person uses it, in browser mode: create a project, import a real dataset, see thumbnails, label
// with the keyboard, reload, and find the label kept; the viewer with its mask overlay; and a bridge that refuses
// anyone without the token or from another origin.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, datasetsAvailable } from '../helpers/paths.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
let page: Page;

beforeAll(async () => {
  h = await startHarness();
  page = await h.browser.newPage({ viewport: { width: 1400, height: 900 } });
}, 60_000);

afterAll(async () => {
  await h?.close();
  if (h) await rm(h.home, { recursive: true, force: true });
});

describe.skipIf(!datasetsAvailable())('browser mode, end to end', () => {
  it('creates a project, imports a dataset, shows thumbnails, keeps a keyboard label across a reload', async () => {
    await page.goto(h.bridge.url);
    await page.getByText('Try the demo project').waitFor();
    const projectDir = path.join(h.home, 'bottle-project');
    await page.getByTestId('new-dir').fill(projectDir);
    await page.getByTestId('images-dir').fill(path.join(DATASETS, 'mvtec_bottle'));
    await page.getByTestId('create-project').click();
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-report').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('import-report').textContent()).resolves.toMatch(/125 images imported, 0 were already in the project, 0 skipped/);
    await page.getByRole('button', { name: 'Close', exact: true }).click();

    const thumbs = page.getByTestId('thumb');
    await thumbs.first().waitFor();
    expect(await thumbs.count()).toBeGreaterThan(10);
    // the thumbnails are real images that loaded
    await expect.poll(() => page.locator('[data-testid="thumb"] img').evaluateAll((imgs) => imgs.slice(0, 6).every((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0))).toBe(true);
    await expect(page.getByTestId('counts-test').textContent()).resolves.toMatch(/test\s*0\s*20\s*0\s*63/);

    // pick the fourth image and label it normal with the keyboard
    const target = thumbs.nth(3);
    const id = await target.getAttribute('data-image-id');
    await target.click();
    await page.keyboard.press('n');
    // it is an anomalous image with a mask: dropping the mask is asked first
    await page.getByTestId('drop-mask').click();
    await expect.poll(() => page.locator(`[data-image-id="${id}"]`).getAttribute('data-label')).toBe('normal');
    await expect.poll(() => h.workbench.current().images.get(Number(id))!.labelState).toBe('normal');

    // the buttons do the same as the keys
    await thumbs.nth(4).click();
    const second = await thumbs.nth(4).getAttribute('data-image-id');
    await page.getByTestId('label-unlabeled').click();
    await page.getByTestId('drop-mask').click();
    await expect.poll(() => page.locator(`[data-image-id="${second}"]`).getAttribute('data-label')).toBe('unlabeled');

    await page.reload();
    await page.locator(`[data-image-id="${id}"]`).waitFor();
    expect(await page.locator(`[data-image-id="${second}"]`).getAttribute('data-label')).toBe('unlabeled');
    expect(await page.locator(`[data-image-id="${id}"]`).getAttribute('data-label')).toBe('normal');
    expect(h.workbench.current().images.history(Number(id)).map((e) => [e.labelState, e.source])).toEqual([
      ['anomalous', 'import'],
      ['normal', 'user'],
    ]);
  });

  it('filters the grid and opens the viewer with the mask overlay; arrows keep the zoom', async () => {
    await page.getByRole('combobox', { name: /Defect class/ }).click();
    await page.getByRole('option', { name: 'contamination' }).click();
    await expect.poll(() => page.getByTestId('shown-count').textContent()).toMatch(/^21 images shown/);
    await page.getByTestId('thumb').first().click();
    await page.keyboard.press('Enter');
    await page.getByTestId('viewer-stage').locator('canvas').first().waitFor();
    await expect(page.getByTestId('viewer-label').textContent()).resolves.toBe('anomalous: contamination');
    // the mask is drawn: the stage shows strongly red pixels, and they go when the mask is hidden
    const redPixels = () =>
      page.getByTestId('viewer-stage').locator('canvas').first().evaluate((canvas) => {
        const c = canvas as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let red = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i]! > d[i + 1]! + 60 && d[i]! > d[i + 2]! + 60) red++;
        return red;
      });
    await expect.poll(redPixels).toBeGreaterThan(500);
    await page.getByRole('button', { name: 'Hide mask' }).click();
    await expect.poll(redPixels).toBeLessThan(50);
    await page.getByRole('button', { name: 'Show mask' }).click();
    await page.keyboard.press('1');
    await expect.poll(() => page.getByText('100%', { exact: true }).count()).toBe(1);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByTestId('viewer-title').textContent()).toMatch(/2 of 21/);
    expect(await page.getByText('100%', { exact: true }).count()).toBe(1);
    await page.keyboard.press('Escape');
    await page.getByTestId('thumb').first().waitFor();
  });
});

describe('the bridge', () => {
  const base = () => `http://127.0.0.1:${h.bridge.port}`;
  const call = (headers: Record<string, string>) =>
    fetch(`${base()}/api/call`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ channel: 'app.info', input: {} }) });

  it('answers a call with the token', async () => {
    const response = await call({ Authorization: `Bearer ${h.bridge.token}` });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, result: { shell: 'browser' } });
  });

  it('refuses a request without the token, or with a wrong one', async () => {
    expect((await call({})).status).toBe(401);
    expect((await call({ Authorization: 'Bearer not-the-token' })).status).toBe(401);
    expect((await fetch(`${base()}/`)).status).toBe(401);
    expect((await fetch(`${base()}/files/thumbnail/1`)).status).toBe(401);
  });

  it('refuses other origins, cross-site requests and foreign Host names even with the token', async () => {
    const token = { Authorization: `Bearer ${h.bridge.token}` };
    expect((await call({ ...token, Origin: 'http://evil.example' })).status).toBe(403);
    expect((await call({ ...token, Origin: `http://127.0.0.1:${h.bridge.port + 1}` })).status).toBe(403);
    expect((await call({ ...token, 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    // node's fetch sets Host from the URL; a raw request shows what a DNS-rebinding page would send
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve) => {
      request({ host: '127.0.0.1', port: h.bridge.port, path: '/api/call', method: 'POST', headers: { ...token, Host: 'attacker.example', 'Content-Type': 'application/json' } }, (res) => resolve(res.statusCode!)).end('{}');
    });
    expect(status).toBe(421);
  });

  it('refuses a page of another origin in a real browser, even when its requests carry the valid token', async () => {
    // another local web page, as any program on this machine could serve
    const { createServer } = await import('node:http');
    const foreign = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>another page</title>'));
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    const foreignPort = (foreign.address() as { port: number }).port;
    // every request of this browser context carries the real token, so only the origin checks can refuse
    const context = await h.browser.newContext({ extraHTTPHeaders: { Authorization: `Bearer ${h.bridge.token}` } });
    try {
      const other = await context.newPage();
      await other.goto(`http://127.0.0.1:${foreignPort}/`);
      const answered = other.waitForResponse((r) => r.url() === `${base()}/api/call`);
      await other.evaluate((url) => fetch(`${url}/api/call`, { method: 'POST', mode: 'no-cors', body: '{"channel":"app.info","input":{}}' }).catch(() => undefined), base());
      expect((await answered).status()).toBe(403);
      // the same token from the bridge's own page is accepted: it was the origin that was refused, not the token
      const own = await context.newPage();
      await own.goto(`${base()}/`);
      const status = await own.evaluate(async (url) => (await fetch(`${url}/api/call`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"channel":"app.info","input":{}}' })).status, base());
      expect(status).toBe(200);
    } finally {
      await context.close();
      foreign.close();
    }
  });

  it('validates inputs with a clear error', async () => {
    const response = await fetch(`${base()}/api/call`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${h.bridge.token}` },
      body: JSON.stringify({ channel: 'images.label', input: { id: -3, labelState: 'broken' } }),
    });
    const body = (await response.json()) as { ok: boolean; error: { code: string; message: string } };
    expect(body.ok).toBe(false);
    expect(body.error.code).toBe('invalid-input');
    expect(body.error.message).toMatch(/images.label was called with invalid input \(id: .*; labelState: .*\)/);
  });
});
