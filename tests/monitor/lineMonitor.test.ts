// The line monitor on a real project with a real (tiny) trained version: files dropped into a watched folder are
// scored once each in the ML worker and recorded as predictions with their line outcome, with events; a file
// written in two parts is read only when complete; a non-image and a corrupt JPEG are reported, not scored; a copy
// of a scored picture is not scored again; the watch survives the folder vanishing and the project closing; and the
// drift monitor stays quiet on fresh good parts and warns on a lighting-shifted line.
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvents, EventName } from '../../src/shared/api.js';
import type { MonitorFileView, MonitorSummary } from '../../src/shared/monitor.js';
import { lineThresholdsOf } from '../../src/main/deploy/driftMonitor.js';
import { outcomeOf } from '../../src/main/deploy/thresholdsService.js';
import { LineMonitor } from '../../src/main/monitor/lineMonitor.js';
import { Project } from '../../src/main/store/project.js';
import { shiftImage, type LightingShift } from '../../src/bench/shift.js';
import { datasetsAvailable } from '../helpers/paths.js';
import { lineImages, monitorProject } from './fixture.js';

const TIMINGS = { settleMs: 700, rescanMs: 400 };
/** Stronger than the benches' default shift: the tiny test model must see it in 100 parts every time. */
const STRONG_SHIFT: LightingShift = { gain: 0.6, gamma: 1.6, blurSigma: 2.5 };

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Events {
  files: MonitorFileView[] = [];
  summaries: MonitorSummary[] = [];
  readonly emit = <E extends EventName>(event: E, payload: ApiEvents[E]) => {
    if (event === 'monitor.file') this.files.push(payload as MonitorFileView);
    if (event === 'monitor.changed') this.summaries.push(payload as MonitorSummary);
  };
  get last(): MonitorSummary | undefined {
    return this.summaries.at(-1);
  }
}

describe.runIf(datasetsAvailable())('line monitor', () => {
  let dir: string;
  let project: Project;
  let versionId: number;
  let line: string[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'dwb-monitor-'));
    ({ project, versionId } = await monitorProject(dir));
    line = await lineImages();
  }, 600_000);

  afterAll(async () => {
    project?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const predictionsOf = (file: string) => project.db.prepare('SELECT score, label FROM predictions WHERE path = ?').all(file) as { score: number; label: string }[];

  it('scores each new image once, waits for files being written, reports the rest, and resumes with the project', async () => {
    const watched = path.join(dir, 'camera');
    await mkdir(path.join(watched, 'station-2'), { recursive: true });
    const before = path.join(watched, 'yesterday.jpg');
    await copyFile(line[0]!, before);
    const events = new Events();
    const monitor = new LineMonitor(project, events.emit, TIMINGS);
    await expect(monitor.start({ folder: path.join(dir, 'no-such-folder') })).rejects.toThrow(/no-such-folder does not exist; choose the folder the camera writes/);
    await expect(monitor.start({ folder: path.join(project.layout.root, 'images') })).rejects.toThrow(/inside the project's own folder/);
    const started = await monitor.start({ folder: watched });
    expect(started).toMatchObject({ state: 'watching', folder: watched, versionId, resumed: false });
    expect(started.message).toMatch(/Watching .*camera and its sub-folders/);

    const dropped = [path.join(watched, 'part-001.jpg'), path.join(watched, 'part-002.jpg'), path.join(watched, 'station-2', 'part-003.jpg')];
    for (const [i, file] of dropped.entries()) await copyFile(line[1 + i]!, file);
    // written in two parts with a pause shorter than the settle time: read once, whole
    const slow = path.join(watched, 'part-004.jpg');
    const bytes = await readFile(line[4]!);
    await writeFile(slow, bytes.subarray(0, bytes.length >> 1));
    await sleep(350);
    await writeFile(slow, bytes.subarray(bytes.length >> 1), { flag: 'a' });
    // a camera that writes under a temporary name and renames when done
    await writeFile(path.join(watched, 'part-005.jpg.part'), await readFile(line[5]!));
    await rename(path.join(watched, 'part-005.jpg.part'), path.join(watched, 'part-005.jpg'));
    await writeFile(path.join(watched, 'notes.txt'), 'shift 2 started\n');
    // a JPEG cut short (a copy that broke off), and a file named .jpg that is no picture at all
    const corrupt = path.join(watched, 'part-006.jpg');
    const good = await readFile(line[6]!);
    await writeFile(corrupt, good.subarray(0, Math.floor(good.length * 0.4)));
    const fake = path.join(watched, 'part-009.jpg');
    await writeFile(fake, 'this is not a picture');
    // the same picture as part-001 under another name
    await copyFile(line[1]!, path.join(watched, 'station-2', 'part-001-again.jpg'));

    const scoredFiles = [...dropped, slow, path.join(watched, 'part-005.jpg')];
    await until('every file handled', () => events.files.length >= 9 && events.last?.counts.queued === 0);
    await sleep(4 * TIMINGS.rescanMs); // rescans find nothing new: none is handled twice
    expect(events.files).toHaveLength(9);

    const scored = events.files.filter((f) => f.status === 'scored');
    expect(scored.map((f) => f.path).sort()).toEqual([...scoredFiles].sort());
    const thresholds = lineThresholdsOf(project, versionId);
    for (const f of scored) {
      expect(f.thumbnail).toMatch(/^data:image\/jpeg;base64,/);
      expect(f.outcome).toBe(outcomeOf(f.score!, thresholds));
      // recorded once, exactly as dwb predict records: the predictions table, with the line outcome
      expect(predictionsOf(f.path)).toEqual([{ score: f.score, label: f.outcome }]);
    }
    expect(scored.find((f) => f.path === slow)!.name).toBe('part-004.jpg');
    const slowRow = project.db.prepare('SELECT size FROM monitor_files WHERE path = ?').all(slow) as { size: number }[];
    expect(slowRow).toEqual([{ size: bytes.length }]);

    const byName = new Map(events.files.map((f) => [f.name, f]));
    expect(byName.get('notes.txt')).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/not an image \(\.txt\)/) });
    expect(byName.get('part-006.jpg')).toMatchObject({ status: 'failed', reason: expect.stringMatching(/cannot be scored as an image.*premature end/i) });
    expect(byName.get('part-009.jpg')).toMatchObject({ status: 'failed', reason: expect.stringMatching(/cannot be scored as an image/) });
    expect(byName.get(path.join('station-2', 'part-001-again.jpg'))).toMatchObject({ status: 'ignored', reason: 'the same picture as part-001.jpg, already scored' });
    expect(predictionsOf(before)).toEqual([]);
    expect(predictionsOf(corrupt)).toEqual([]);
    expect(predictionsOf(fake)).toEqual([]);

    const status = await monitor.status();
    expect(status.counts).toMatchObject({ scored: 5, ignored: 2, failed: 2, queued: 0 });
    expect(status.counts.pass + status.counts.review + status.counts.reject).toBe(5);
    expect(status.recent.map((f) => f.path)).toEqual(scored.map((f) => f.path).reverse());
    expect(status.scores).toEqual(scored.map((f, i) => ({ n: i + 1, score: f.score, outcome: f.outcome })));
    expect(status.problems.map((p) => p.name).sort()).toEqual(['notes.txt', 'part-006.jpg', 'part-009.jpg', path.join('station-2', 'part-001-again.jpg')].sort());
    expect(status.thresholds).toEqual(thresholds);

    // a file rewritten in place is a new part: scored again
    const rewritten = path.join(watched, 'part-002.jpg');
    await copyFile(line[9]!, rewritten);
    await until('the rewritten file scored', () => events.files.length === 10);
    expect(events.files.at(-1)).toMatchObject({ path: rewritten, status: 'scored' });
    expect(predictionsOf(rewritten)).toHaveLength(2);

    // the folder vanishes (a drive unplugged): said plainly, and watching goes on when it is back
    await rm(watched, { recursive: true });
    await until('unavailable', () => events.last?.state === 'unavailable');
    expect(events.last!.message).toMatch(/cannot be found: it was deleted or renamed, or its drive was unplugged/);
    await mkdir(watched);
    await until('watching again', () => events.last?.state === 'watching');

    // the project closes while watching: the watch is saved and picks up what arrived meanwhile
    await monitor.close();
    await copyFile(line[7]!, path.join(watched, 'part-007.jpg'));
    const reopened = new Events();
    const again = new LineMonitor(project, reopened.emit, TIMINGS);
    again.resume();
    await until('the file that came while closed', () => reopened.files.length === 1);
    expect(reopened.files[0]).toMatchObject({ name: 'part-007.jpg', status: 'scored' });
    await sleep(TIMINGS.settleMs + 4 * TIMINGS.rescanMs); // and nothing handled before the close comes again
    expect(reopened.files).toHaveLength(1);
    const resumed = await again.status();
    expect(resumed).toMatchObject({ state: 'watching', resumed: true, counts: { scored: 7 } });
    expect(resumed.message).toMatch(/^Resumed when the project opened/);

    // stopping is explicit and sticks: a reopened project does not watch
    expect(await again.stop()).toMatchObject({ state: 'stopped', folder: watched });
    await again.close();
    const stopped = new LineMonitor(project, () => undefined, TIMINGS);
    stopped.resume();
    await copyFile(line[8]!, path.join(watched, 'part-008.jpg'));
    await sleep(TIMINGS.settleMs + 4 * TIMINGS.rescanMs);
    expect((await stopped.status()).state).toBe('stopped');
    expect(predictionsOf(path.join(watched, 'part-008.jpg'))).toEqual([]);
    await stopped.close();
  }, 300_000);

  it('takes a burst of files through a bounded queue', async () => {
    const watched = path.join(dir, 'burst');
    await mkdir(watched);
    const events = new Events();
    const monitor = new LineMonitor(project, events.emit, { ...TIMINGS, queueLimit: 8 });
    const burst = line.slice(100, 260);
    const name = (i: number) => path.join(watched, `burst-${String(i).padStart(3, '0')}.jpg`);
    // what the folder held before is scored too when asked
    for (let i = 0; i < 10; i++) await copyFile(burst[i]!, name(i));
    await monitor.start({ folder: watched, includeExisting: true });
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    await Promise.all(burst.slice(10).map((file, i) => copyFile(file, name(i + 10))));
    await until('the burst scored', () => events.files.length === burst.length, 240_000);
    lag.disable();
    // scoring runs in the worker: the main thread (the app's services) stays responsive throughout
    console.log(`${burst.length} files: main-thread event-loop delay p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms, max ${(lag.max / 1e6).toFixed(0)} ms`);
    // the queue never held more than its limit; every file scored once
    expect(Math.max(...events.summaries.map((s) => s.counts.queued))).toBeLessThanOrEqual(8);
    expect(new Set(events.files.map((f) => f.path)).size).toBe(burst.length);
    expect(events.files.every((f) => f.status === 'scored')).toBe(true);
    await monitor.stop();
    await monitor.close();
  }, 300_000);

  it('stays quiet on fresh good parts and warns when the line drifts', async () => {
    const watched = path.join(dir, 'drift');
    await mkdir(watched);
    const events = new Events();
    const monitor = new LineMonitor(project, events.emit, TIMINGS);
    await monitor.start({ folder: watched });
    const fresh = line.slice(20, 60);
    for (const [i, file] of fresh.entries()) await copyFile(file, path.join(watched, `good-${i}.jpg`));
    await until('the good parts scored', () => events.files.length === fresh.length, 180_000);
    const quiet = (await monitor.status()).drift!;
    expect(quiet).toMatchObject({ versionId, enoughData: true, warn: false });
    expect(quiet.referenceCount).toBeGreaterThanOrEqual(30);
    console.log(`drift on ${fresh.length} fresh good parts: ${quiet.message}`);

    // the same kind of parts under a strong lighting change (darker, more contrast, out of focus): enough of them
    // to fill the monitor's window of 100 passed parts
    const shiftedDir = path.join(dir, 'shifted-source');
    const shifted = line.slice(260, 360);
    for (const [i, file] of shifted.entries()) await shiftImage(file, path.join(shiftedDir, `shifted-${i}.png`), STRONG_SHIFT);
    for (let i = 0; i < shifted.length; i++) await copyFile(path.join(shiftedDir, `shifted-${i}.png`), path.join(watched, `shifted-${i}.png`));
    await until('the shifted parts scored', () => events.files.length === fresh.length + shifted.length, 180_000);
    const raised = (await monitor.status()).drift!;
    expect(raised).toMatchObject({ enoughData: true, warn: true });
    expect(raised.medianShift).toBeGreaterThan(0);
    // either rule may see it first: the passed parts' scores moved (KS), or far fewer parts pass at all
    expect(raised.message).toMatch(/the line (may have|has) changed/);
    console.log(`drift after ${shifted.length} shifted parts: ${raised.message}`);
    await until('the warning announced', () => events.last?.drift?.warn === true, 10_000);
    await monitor.stop();
    await monitor.close();
  }, 400_000);
});
