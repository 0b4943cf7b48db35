// The feature cache: hits by (image, backbone, size, preset), damaged entries dropped, writes that survive a
// SIGKILL at any moment (a killed writer leaves whole entries or none), and pruning by age and size.
import { spawn } from 'node:child_process';
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeatureCache, type FeatureKey } from '../../src/main/ml/backbone/featureCache.js';
import { PROJECT_ROOT, useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();
const key = (over: Partial<FeatureKey> = {}): FeatureKey => ({ imageSha256: 'a'.repeat(64), backboneSha256: 'b'.repeat(64), height: 256, width: 256, preset: 'fast', ...over });
const features = (fill: number, length = 1000) => ({ tensors: { features: { shape: [10, 10, length / 100], data: new Float32Array(length).fill(fill) } }, stats: { norm: fill * 2 } });

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const shard of await readdir(dir).catch(() => [])) for (const name of await readdir(path.join(dir, shard))) out.push(path.join(dir, shard, name));
  return out;
}

describe('feature cache', () => {
  it('returns what was stored for the same key only', async () => {
    const cache = new FeatureCache(await tempDir());
    expect(await cache.get(key())).toBeNull();
    await cache.put(key(), features(1.5));
    const hit = await cache.get(key());
    expect(hit?.stats.norm).toBe(3);
    expect(hit?.tensors.features?.shape).toEqual([10, 10, 10]);
    expect(Array.from(hit!.tensors.features!.data.subarray(0, 3))).toEqual([1.5, 1.5, 1.5]);
    for (const other of [key({ imageSha256: 'c'.repeat(64) }), key({ backboneSha256: 'd'.repeat(64) }), key({ height: 320 }), key({ preset: 'paper' })]) {
      expect(await cache.get(other)).toBeNull();
    }
  });

  it('drops a damaged entry instead of returning it', async () => {
    const cache = new FeatureCache(await tempDir());
    await cache.put(key(), features(2));
    const file = cache.fileOf(key());
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, bytes.length - 7)); // torn tail
    expect(await cache.get(key())).toBeNull();
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });

  it('never shows a partial entry when the writer is killed with SIGKILL mid-write', async () => {
    const dir = await tempDir();
    const module = path.join(PROJECT_ROOT, 'out/node/main/ml/backbone/featureCache.js');
    await stat(module).catch(() => {
      throw new Error('build the node sources first (npm run build:node): the writer runs as a separate process');
    });
    // a writer that stores 4 MB entries as fast as it can, until killed
    const script = `
      const { FeatureCache } = await import(${JSON.stringify(module)});
      const cache = new FeatureCache(${JSON.stringify(dir)});
      for (let i = 0; ; i++) {
        await cache.put({ imageSha256: String(i), backboneSha256: 'b', height: 1, width: 1, preset: 'fast' },
          { tensors: { features: { shape: [1e6], data: new Float32Array(1e6).fill(i) } }, stats: { i } });
        if (i === 2) process.stdout.write('writing\\n');
      }`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, 150 + Math.random() * 200));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const cache = new FeatureCache(dir);
    const entries = (await files(dir)).filter((f) => f.endsWith('.feat'));
    expect(entries.length).toBeGreaterThanOrEqual(3);
    let whole = 0;
    for (let i = 0; i < entries.length + 2; i++) {
      const hit = await cache.get({ imageSha256: String(i), backboneSha256: 'b', height: 1, width: 1, preset: 'fast' });
      if (!hit) continue;
      expect(hit.stats.i).toBe(i);
      expect(hit.tensors.features!.data.every((v) => v === i)).toBe(true);
      whole++;
    }
    expect(whole).toBe(entries.length);
  });

  it('prunes orphaned temporary files, old entries, then the least recently used beyond the byte budget', async () => {
    const dir = await tempDir();
    const cache = new FeatureCache(dir);
    const now = Date.now();
    for (let i = 0; i < 4; i++) {
      await cache.put(key({ imageSha256: String(i) }), features(i));
      const t = new Date(now - (10 - i) * 3600_000); // entry i used i hours after entry 0
      await utimes(cache.fileOf(key({ imageSha256: String(i) })), t, t);
    }
    const orphan = `${cache.fileOf(key({ imageSha256: '0' }))}.123.abcd.part`;
    await writeFile(orphan, 'half a write');
    const old = new Date(now - 3600_000);
    await utimes(orphan, old, old);
    await cache.get(key({ imageSha256: '1' })); // a hit refreshes entry 1
    const size = (await stat(cache.fileOf(key({ imageSha256: '2' })))).size;
    const result = await cache.prune({ maxAgeMs: 9.5 * 3600_000, maxBytes: 2 * size, now });
    // entry 0 is too old, the orphan is stale, entry 2 is the least recently used of the rest
    expect(result.removed).toBe(3);
    expect(await cache.get(key({ imageSha256: '0' }))).toBeNull();
    expect(await cache.get(key({ imageSha256: '2' }))).toBeNull();
    expect(await cache.get(key({ imageSha256: '1' }))).not.toBeNull();
    expect(await cache.get(key({ imageSha256: '3' }))).not.toBeNull();
    expect((await files(dir)).some((f) => f.endsWith('.part'))).toBe(false);
  });
});
