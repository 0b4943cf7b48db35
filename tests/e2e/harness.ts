// Browser-mode harness for end-to-end tests: the real Workbench services and bridge in this process, the built
// renderer, and Debian's Chromium driven by playwright-core.
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Locator } from 'playwright-core';
import { RecentProjects } from '../../src/main/app/recentProjects.js';
import { Workbench } from '../../src/main/app/workbench.js';
import { startBridge, type Bridge } from '../../src/main/bridge/server.js';
import { PROJECT_ROOT } from '../helpers/paths.js';

export const CHROMIUM = process.env.DWB_CHROMIUM ?? '/usr/bin/chromium';
export const RENDERER_DIR = path.join(PROJECT_ROOT, 'out/renderer');

export interface Harness {
  workbench: Workbench;
  bridge: Bridge;
  browser: Browser;
  home: string;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium (or set DWB_CHROMIUM)`);
  if (!existsSync(path.join(RENDERER_DIR, 'index.html'))) throw new Error('the renderer is not built: run npm run build:renderer');
  const home = await mkdtemp(path.join(os.tmpdir(), 'dwb-e2e-'));
  const workbench = new Workbench('browser', new RecentProjects(path.join(home, 'settings')));
  const bridge = await startBridge({ workbench, rendererDir: RENDERER_DIR });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  return {
    workbench,
    bridge,
    browser,
    home,
    async close() {
      await browser.close();
      await bridge.close();
      await workbench.close();
    },
  };
}

/** Pixels of a canvas that are not fully transparent or white: proof that something was drawn. */
export function inkOf(canvas: Locator): Promise<number> {
  return canvas.evaluate((c) => {
    const el = c as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
    const data = el.getContext('2d')!.getImageData(0, 0, el.width, el.height).data;
    let ink = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3]! > 0 && (data[i]! < 250 || data[i + 1]! < 250 || data[i + 2]! < 250)) ink++;
    return ink;
  });
}
