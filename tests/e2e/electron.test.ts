// The same app in the Electron window, where an Electron binary exists (build first: npx electron-vite build).
// Offline installs (this machine, CI) have none: Electron's binary download needs the internet, so the suite says
// so and skips; tests/shell/electronShell.test.ts checks the shell's parts without it.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/paths.js';

function electronBinary(): string | null {
  try {
    const found = createRequire(path.join(PROJECT_ROOT, 'package.json'))('electron') as unknown;
    return typeof found === 'string' && existsSync(found) ? found : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
if (!binary) console.warn('Electron is not installed here (its binary download needs the internet): the Electron end-to-end test is skipped');

describe.skipIf(!binary)('Electron shell', () => {
  it('opens the window through the preload API only, and shows an image with its mask on a clean canvas', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'dwb-electron-'));
    const { _electron } = await import('playwright-core');
    const app = await _electron.launch({ executablePath: binary!, args: [path.join(PROJECT_ROOT, 'out/main/index.js')], env: { ...process.env, DWB_HOME: path.join(home, 'settings') } });
    try {
      const window = await app.firstWindow();
      await window.getByText('Try the demo project').waitFor();
      expect(window.url()).toBe('dwb://app/index.html');
      expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
      expect(await window.evaluate(() => typeof (globalThis as { dwb?: { call?: unknown } }).dwb?.call)).toBe('function');
      // every permission is refused
      expect(await window.evaluate(() => Notification.requestPermission())).toBe('denied');

      await window.getByTestId('demo-dir').fill(path.join(home, 'demo'));
      await window.getByTestId('create-demo').click();
      await window.getByTestId('thumb').first().waitFor({ timeout: 60_000 });
      expect(await window.locator('[data-testid="thumb"] img').first().evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
      // an image with a mask: the overlay is drawn, and reading the canvas back works (it is not tainted)
      await window.locator('[data-testid="thumb"]', { hasText: '◩' }).first().dblclick();
      const redPixels = () =>
        window.getByTestId('viewer-stage').locator('canvas').first().evaluate((canvas) => {
          const c = canvas as HTMLCanvasElement;
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let red = 0;
          for (let i = 0; i < d.length; i += 4) if (d[i]! > d[i + 1]! + 60 && d[i]! > d[i + 2]! + 60) red++;
          return red;
        });
      await expect.poll(redPixels, { timeout: 20_000 }).toBeGreaterThan(50);
    } finally {
      await app.close();
      await rm(home, { recursive: true, force: true });
    }
  });
});
