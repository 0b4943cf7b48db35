// UI responsiveness while training, in browser mode with Debian's Chromium: mvtec_bottle imported into a fresh
// project, the grid scrolled back and forth at 3,000 px/s, and the gaps between animation frames recorded twice —
// idle, then while a training job (fast preset) runs in its worker thread. The figure that matters is the largest
// gap: a person feels a frozen UI as one long frame, not as a worse median.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RecentProjects } from '../main/app/recentProjects.js';
import { Workbench } from '../main/app/workbench.js';
import { RENDERER_DIR, startBridge } from '../main/bridge/server.js';
import type { TrainingProgressEvent } from '../shared/models.js';

export interface FrameGaps {
  frames: number;
  medianMs: number;
  p95Ms: number;
  worstMs: number;
}

export interface TrainingUiBenchResult {
  images: number;
  idle: FrameGaps;
  training: FrameGaps;
  /** Training phases seen while the frames were sampled. */
  phases: string[];
  trainSeconds: number;
  cpu: { cores: number; model: string };
}

interface LooseWindow {
  document: { querySelector(selector: string): unknown };
  requestAnimationFrame(cb: (t: number) => void): void;
}

/** Runs in the page: scrolls the grid back and forth and records each frame's gap for `ms` milliseconds. */
function sampleFrames(ms: number): Promise<number[]> {
  const w = globalThis as unknown as LooseWindow;
  const grid = w.document.querySelector('[data-testid="grid"]') as { scrollTop: number; scrollHeight: number; clientHeight: number };
  return new Promise((resolve) => {
    const gaps: number[] = [];
    let first = 0;
    let last = 0;
    let direction = 1;
    const step = (now: number) => {
      gaps.push(now - last);
      const max = grid.scrollHeight - grid.clientHeight;
      grid.scrollTop += direction * (now - last) * 3;
      if (grid.scrollTop >= max - 1) direction = -1;
      if (grid.scrollTop <= 0) direction = 1;
      last = now;
      if (now - first < ms) w.requestAnimationFrame(step);
      else resolve(gaps.slice(2));
    };
    w.requestAnimationFrame((t) => {
      first = last = t;
      w.requestAnimationFrame(step);
    });
  });
}

function summarize(gaps: number[]): FrameGaps {
  const sorted = [...gaps].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return { frames: sorted.length, medianMs: at(0.5), p95Ms: at(0.95), worstMs: sorted[sorted.length - 1]! };
}

export async function benchTrainingUi(
  options: { dataset: string; backbone: string; chromium: string; seconds?: number; epochs?: number; size?: number },
  log: (s: string) => void,
): Promise<TrainingUiBenchResult> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'dwb-bench-training-ui-'));
  const workbench = new Workbench('browser', new RecentProjects(path.join(home, 'settings')));
  const bridge = await startBridge({ workbench, rendererDir: RENDERER_DIR });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: options.chromium,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  const seconds = options.seconds ?? 10;
  try {
    const w = workbench.handlers;
    await w['project.create']({ dir: path.join(home, 'project') });
    log(`importing ${options.dataset}…\n`);
    const imported = new Promise((resolve) => workbench.on('import.finished', resolve));
    await w['import.start']({ source: options.dataset, layout: 'mvtec' });
    await imported;
    const images = (await w['project.stats']({})).images;

    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(bridge.url);
    await page.getByTestId('thumb').first().waitFor();
    await page.waitForTimeout(1500);
    log(`idle: scrolling the grid for ${seconds} s…\n`);
    const idle = summarize(await page.evaluate(sampleFrames, seconds * 1000));
    log(`idle frame gaps: median ${idle.medianMs.toFixed(1)} ms, worst ${idle.worstMs.toFixed(1)} ms (${idle.frames} frames)\n`);

    const phases = new Set<string>();
    let inTraining!: () => void;
    const trainingStarted = new Promise<void>((resolve) => (inTraining = resolve));
    workbench.on('training.progress', (p: TrainingProgressEvent) => {
      phases.add(p.phase);
      if (p.phase === 'training') inTraining();
    });
    const finished = new Promise((resolve) => workbench.on('training.finished', resolve));
    const started = Date.now();
    await w['training.start']({ backbone: options.backbone, preset: 'fast', epochs: options.epochs ?? 20, size: { height: options.size ?? 256, width: options.size ?? 256 } });
    log('waiting for the first training step…\n');
    await trainingStarted;
    log(`training: scrolling the grid for ${seconds} s…\n`);
    const training = summarize(await page.evaluate(sampleFrames, seconds * 1000));
    const sampled = [...phases];
    log(`frame gaps while training (${sampled.join(', ')}): median ${training.medianMs.toFixed(1)} ms, worst ${training.worstMs.toFixed(1)} ms (${training.frames} frames); waiting for the run to end…\n`);
    await finished;
    return { images, idle, training, phases: sampled, trainSeconds: (Date.now() - started) / 1000, cpu: { cores: os.cpus().length, model: os.cpus()[0]?.model ?? '?' } };
  } finally {
    await browser.close();
    await bridge.close();
    await workbench.close();
    await rm(home, { recursive: true, force: true });
  }
}
