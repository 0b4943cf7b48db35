// Studio benchmark, in browser mode with Debian's Chromium: painting on a 4096×4096 image and on an 8192×2048 strip
// (generated once, then cached). While a brush stroke is drawn at a person's pace (a pointer move every 8 ms), the
// page records the time between animation frames; after pointer-up, the time until the stroke is in the store (a
// new label-history entry in the catalog).
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

const SIZES = [
  { name: 'square-4096', width: 4096, height: 4096 },
  { name: 'strip-8192x2048', width: 8192, height: 2048 },
] as const;

export interface StudioBenchCase {
  image: string;
  width: number;
  height: number;
  /** Frames recorded while painting (all strokes). */
  frames: number;
  frameMsMedian: number;
  frameMsP95: number;
  pointerMoves: number;
  /** Pointer-up until the stroke is stored, per stroke. */
  storedMs: number[];
  storedMsMedian: number;
  openToMaskMs: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function benchProject(log: (s: string) => void): Promise<string> {
  const root = path.join(os.tmpdir(), 'dwb-bench-studio-v1');
  const project = path.join(root, 'project');
  if (existsSync(path.join(root, '.complete'))) return project;
  await rm(root, { recursive: true, force: true });
  const images = path.join(root, 'images');
  await mkdir(images, { recursive: true });
  log(`generating the studio benchmark's images (once; cached in ${root})…\n`);
  for (const s of SIZES) {
    const pixels = renderSurface({ width: s.width, height: s.height, channels: 1, seed: 3, material: 2 });
    await sharp(pixels, { raw: { width: s.width, height: s.height, channels: 1 } }).png({ compressionLevel: 3 }).toFile(path.join(images, `${s.name}.png`));
  }
  const created = await Project.create(project, { name: 'studio benchmark' });
  await runImport(created, await planImport(images, 'flat'));
  created.close();
  await writeFile(path.join(root, '.complete'), new Date().toISOString());
  return project;
}

interface LooseWindow {
  requestAnimationFrame(cb: (t: number) => void): number;
  __frames?: number[];
  __recording?: boolean;
}

export async function benchStudio(options: { chromium: string; strokes?: number }, log: (s: string) => void): Promise<StudioBenchCase[]> {
  const projectDir = await benchProject(log);
  const home = path.join(os.tmpdir(), `dwb-bench-studio-home-${process.pid}`);
  const workbench = new Workbench('browser', new RecentProjects(home));
  const bridge = await startBridge({ workbench, rendererDir: RENDERER_DIR });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: options.chromium,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  const results: StudioBenchCase[] = [];
  try {
    await workbench.handlers['project.open']({ dir: projectDir });
    // every run starts from unlabelled images (an earlier run's strokes would make these ones change nothing)
    for (const image of workbench.current().images.list()) {
      await workbench.handlers['images.label']({ id: image.id, labelState: 'unlabeled', dropMask: true });
    }
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(bridge.url);
    for (const image of workbench.current().images.list()) {
      log(`painting on ${image.originalName} (${image.width}×${image.height})…\n`);
      await page.goto(bridge.url);
      await page.locator(`[data-image-id="${image.id}"]`).click();
      const opened = Date.now();
      await page.keyboard.press('Enter');
      // ready when the mask scene is loaded (the first stroke can land)
      await page.locator('[data-testid="studio-canvas"][data-ready="yes"]').waitFor({ timeout: 120_000 });
      await sleep(300);
      const openToMaskMs = Date.now() - opened;
      const box = (await page.getByTestId('studio-canvas').boundingBox())!;
      const cx = box.x + box.width / 2;
      const cy = box.y + box.height / 2;
      // a big brush (64 image pixels) makes the committed rectangles large, as on a real defect
      for (let i = 0; i < 4; i++) await page.keyboard.press(']');
      const history = () => workbench.current().images.history(image.id).length;
      const frames: number[] = [];
      const stored: number[] = [];
      let moves = 0;
      for (let s = 0; s < (options.strokes ?? 5); s++) {
        await page.evaluate(() => {
          const w = globalThis as unknown as LooseWindow;
          w.__frames = [];
          w.__recording = true;
          let last = 0;
          const step = (t: number) => {
            if (last) w.__frames!.push(t - last);
            last = t;
            if (w.__recording) w.requestAnimationFrame(step);
          };
          w.requestAnimationFrame(step);
        });
        const y0 = cy - 200 + s * 80;
        await page.mouse.move(cx - 400, y0);
        await page.mouse.down();
        for (let k = 1; k <= 150; k++) {
          // a wavy stroke across the image at a person's pace
          await page.mouse.move(cx - 400 + k * 5, y0 + Math.sin(k / 8) * 40);
          moves++;
          await sleep(8);
        }
        const before = history();
        const t0 = performance.now();
        await page.mouse.up();
        while (history() === before) {
          if (performance.now() - t0 > 60_000) throw new Error(`stroke ${s + 1} on ${image.originalName} was not stored within a minute`);
          await sleep(2);
        }
        stored.push(performance.now() - t0);
        frames.push(...(await page.evaluate(() => {
          const w = globalThis as unknown as LooseWindow;
          w.__recording = false;
          return w.__frames!;
        })));
      }
      const sorted = [...frames].sort((a, b) => a - b);
      const storedSorted = [...stored].sort((a, b) => a - b);
      results.push({
        image: image.originalName,
        width: image.width,
        height: image.height,
        frames: sorted.length,
        frameMsMedian: percentile(sorted, 0.5),
        frameMsP95: percentile(sorted, 0.95),
        pointerMoves: moves,
        storedMs: stored.map((t) => Math.round(t)),
        storedMsMedian: percentile(storedSorted, 0.5),
        openToMaskMs,
      });
    }
  } finally {
    await browser.close();
    await bridge.close();
    await workbench.close();
    await rm(home, { recursive: true, force: true });
  }
  return results;
}
