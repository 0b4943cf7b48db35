// Features on disk, one file per (image content, backbone, size, preset), so retraining does not run the backbone
// again. A file is written to a temporary name and renamed: a killed process leaves either no entry or a whole one,
// never a torn file. It is not flushed to the disk (fsync) first: an entry can always be recomputed, and what a power
// cut may leave (a short or zeroed file) fails the header's length and checksum and is recomputed.
// Reads refresh the file's time, and prune() removes the least recently used entries beyond a byte budget, entries
// older than a maximum age, and temporary files orphaned by a kill.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../fs/atomicFile.js';

const MAGIC = Buffer.from('DWBFEAT1', 'latin1');
/** Bump when the meaning of cached features changes (preprocessing, pooling, projection). */
// 2: images resized by the ONNX preprocessing nodes (ml/pipeline/imageInput.ts); 3: pixels turned by their EXIF
// orientation (images/decode.ts), which changes the features of every image that has one
export const FEATURE_FORMAT = 3;

export interface FeatureKey {
  imageSha256: string;
  backboneSha256: string;
  height: number;
  width: number;
  preset: string;
}

export interface CachedFeatures {
  /** Named float32 arrays with their shapes. */
  tensors: Record<string, { shape: number[]; data: Float32Array }>;
  /** Small numbers that go with them (e.g. the feature norm before projection). */
  stats: Record<string, number>;
}

export interface PruneOptions {
  maxBytes?: number;
  maxAgeMs?: number;
  now?: number;
}

export class FeatureCache {
  constructor(readonly dir: string) {}

  static keyOf(key: FeatureKey): string {
    return createHash('sha256')
      .update(`${FEATURE_FORMAT}/${key.imageSha256}/${key.backboneSha256}/${key.height}x${key.width}/${key.preset}`)
      .digest('hex');
  }

  fileOf(key: FeatureKey): string {
    const id = FeatureCache.keyOf(key);
    return path.join(this.dir, id.slice(0, 2), `${id}.feat`);
  }

  async get(key: FeatureKey): Promise<CachedFeatures | null> {
    const file = this.fileOf(key);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      return null;
    }
    const parsed = decode(bytes);
    if (!parsed) {
      // damaged (disk trouble, a foreign file): drop it and let the caller recompute
      await unlink(file).catch(() => undefined);
      return null;
    }
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined);
    return parsed;
  }

  async put(key: FeatureKey, features: CachedFeatures): Promise<void> {
    const file = this.fileOf(key);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, encode(features));
  }

  /** Removes orphaned temporary files, entries older than maxAgeMs, then least recently used ones beyond maxBytes. */
  async prune(options: PruneOptions = {}): Promise<{ removed: number; keptBytes: number }> {
    const now = options.now ?? Date.now();
    const entries: { file: string; size: number; mtime: number }[] = [];
    let removed = 0;
    const shards = await readdir(this.dir).catch(() => [] as string[]);
    for (const shard of shards) {
      const names = await readdir(path.join(this.dir, shard)).catch(() => [] as string[]);
      for (const name of names) {
        const file = path.join(this.dir, shard, name);
        const info = await stat(file).catch(() => null);
        if (!info?.isFile()) continue;
        // a .part older than a minute belongs to a process that died mid-write
        const stale = name.endsWith('.part') && now - info.mtimeMs > 60_000;
        const old = name.endsWith('.feat') && options.maxAgeMs !== undefined && now - info.mtimeMs > options.maxAgeMs;
        if (stale || old) {
          await unlink(file).catch(() => undefined);
          removed++;
        } else if (name.endsWith('.feat')) entries.push({ file, size: info.size, mtime: info.mtimeMs });
      }
    }
    let total = entries.reduce((s, e) => s + e.size, 0);
    if (options.maxBytes !== undefined && total > options.maxBytes) {
      entries.sort((a, b) => a.mtime - b.mtime);
      for (const e of entries) {
        if (total <= options.maxBytes) break;
        await unlink(e.file).catch(() => undefined);
        total -= e.size;
        removed++;
      }
    }
    return { removed, keptBytes: total };
  }
}

function encode(features: CachedFeatures): Buffer {
  const names = Object.keys(features.tensors);
  const payload = Buffer.concat(names.map((n) => {
    const d = features.tensors[n]!.data;
    return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  }));
  const header = Buffer.from(
    JSON.stringify({
      tensors: names.map((n) => ({ name: n, shape: features.tensors[n]!.shape, length: features.tensors[n]!.data.length })),
      stats: features.stats,
      bytes: payload.length,
      sha256: createHash('sha256').update(payload).digest('hex'),
    }),
    'utf8',
  );
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  return Buffer.concat([MAGIC, length, header, payload]);
}

function decode(bytes: Buffer): CachedFeatures | null {
  try {
    if (bytes.length < 12 || !bytes.subarray(0, 8).equals(MAGIC)) return null;
    const headerLength = bytes.readUInt32LE(8);
    const header = JSON.parse(bytes.subarray(12, 12 + headerLength).toString('utf8')) as {
      tensors: { name: string; shape: number[]; length: number }[];
      stats: Record<string, number>;
      bytes: number;
      sha256: string;
    };
    const payload = bytes.subarray(12 + headerLength);
    if (payload.length !== header.bytes || createHash('sha256').update(payload).digest('hex') !== header.sha256) return null;
    const tensors: CachedFeatures['tensors'] = {};
    let offset = 0;
    for (const t of header.tensors) {
      const copy = new Float32Array(t.length);
      Buffer.from(copy.buffer).set(payload.subarray(offset, offset + t.length * 4));
      offset += t.length * 4;
      tensors[t.name] = { shape: t.shape, data: copy };
    }
    return { tensors, stats: header.stats };
  } catch {
    return null;
  }
}
