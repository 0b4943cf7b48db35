// Grid benchmark, in browser mode with Debian's Chromium: a 20,000-image project (generated once, then cached),
// opened from the first-run screen; the time from pressing Open to the first thumbnails drawn, then the frame
// times while the grid scrolls at a steady 3,000 px/s.
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { RecentProjects } from '../main/app/recentProjects.js';
import { Workbench } from '../main/app/workbench.js';
import { RENDERER_DIR, startBridge } from '../main/bridge/server.js';
import { runImport } from '../main/import/importer.js';
import { planImport } from '../main/import/sources.js';
import { Project } from '../main/store/project.js';
import { renderSurface } from '../main/synth/surface.js';


export interface GridBenchResult {
  images: number;
  openToFirstThumbnailsMs: number;
  frames: number;
  frameMsMedian: number;
  frameMsP95: number;
  scrolledRows: number;
}

async function benchProject(count: number, log: (s: string) => void): Promise<string> {
  const root = path.join(os.tmpdir(), `dwb-bench-grid-${count}`);
  const project = path.join(root, 'project');
  if (existsSync(path.join(root, '.complete'))) return project;
  await rm(root, { recursive: true, force: true });
  const images = path.join(root, 'images');
  await mkdir(images, { recursive: true });
  log(`generating and importing ${count} images for the grid benchmark (once; cached in ${root})…\n`);
  for (let start = 0; start < count; start += 64) {
    await Promise.all(
      Array.from({ length: Math.min(64, count - start) }, (_, k) => {
        const i = start + k;
        const pixels = renderSurface({ width: 96, height: 96, channels: 3, seed: i, material: 7 });
        return sharp(pixels, { raw: { width: 96, height: 96, channels: 3 } }).png().toFile(path.join(images, `part_${String(i).padStart(6, '0')}.png`));
      }),
    );
  }
  const created = await Project.create(project, { name: `${count} images` });
  await runImport(created, await planImport(images, 'flat'));
  created.close();
  await rm(images, { recursive: true, force: true });
  await writeFile(path.join(root, '.complete'), new Date().toISOString());
  return project;
}

/**
 * The page's document, typed loosely: the functions given to page.evaluate run in the browser (serialized, so
 * self-contained), and the Node build has no DOM types.
 */
interface LooseDocument {
  querySelector(selector: string): unknown;
  querySelectorAll(selector: string): ArrayLike<unknown>;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

export async function benchGrid(options: { images: number; chromium: string }, log: (s: string) => void): Promise<GridBenchResult> {
  const projectDir = await benchProject(options.images, log);
  const home = path.join(os.tmpdir(), `dwb-bench-grid-home-${process.pid}`);
  const workbench = new Workbench('browser', new RecentProjects(home));
  const bridge = await startBridge({ workbench, rendererDir: RENDERER_DIR });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: options.chromium,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(bridge.url);
    await page.getByTestId('open-dir').fill(projectDir);
    log('opening the project in Chromium…\n');
    const clicked = Date.now();
    await page.getByTestId('open-project').click();
    await page.waitForFunction(
      () => {
        const doc = (globalThis as unknown as { document: LooseDocument }).document;
        const imgs = Array.from(doc.querySelectorAll('[data-testid="thumb"] img')) as { complete: boolean; naturalWidth: number }[];
        return imgs.length >= 12 && imgs.slice(0, 12).every((i) => i.complete && i.naturalWidth > 0);
      },
      undefined,
      { timeout: 120_000, polling: 'raf' },
    );
    const openToFirstThumbnailsMs = Date.now() - clicked;

    log('scrolling the grid…\n');
    // 3,000 px/s, a brisk scroll through a long list; the frame times are what the person sees
    const frames = await page.evaluate(
      () =>
        new Promise<{ deltas: number[]; rows: number }>((resolve) => {
          const doc = (globalThis as unknown as { document: LooseDocument }).document;
          const grid = doc.querySelector('[data-testid="grid"]') as { scrollTop: number };
          const raf = (globalThis as unknown as { requestAnimationFrame(cb: (t: number) => void): void }).requestAnimationFrame;
          const deltas: number[] = [];
          let last = 0;
          const step = (now: number) => {
            deltas.push(now - last);
            grid.scrollTop += (now - last) * 3;
            last = now;
            if (deltas.length < 300) raf(step);
            else resolve({ deltas: deltas.slice(5), rows: Math.round(grid.scrollTop / 168) });
          };
          raf((t) => {
            last = t;
            raf(step);
          });
        }),
    );
    const sorted = [...frames.deltas].sort((a, b) => a - b);
    return {
      images: options.images,
      openToFirstThumbnailsMs,
      frames: sorted.length,
      frameMsMedian: percentile(sorted, 0.5),
      frameMsP95: percentile(sorted, 0.95),
      scrolledRows: frames.rows,
    };
  } finally {
    await browser.close();
    await bridge.close();
    await workbench.close();
    await rm(home, { recursive: true, force: true });
  }
}
