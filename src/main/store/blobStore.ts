// Content-addressed files: each is named by the SHA-256 of its bytes, so storing the same content twice is a no-op
// and a name, once written, always means the same bytes. Writes go to a temporary file first and are renamed into
// place, so a crash never leaves a half-written file under a real name.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { temporaryName } from '../fs/atomicFile.js';

export interface StoredBlob {
  sha256: string;
  size: number;
  path: string;
  /** False when the same content was already stored. */
  added: boolean;
}

/** What is wrong with a stored file, if anything: checked against the name (its hash) and the catalogued size. */
export type BlobProblem = 'missing' | 'not-a-file' | 'wrong-size' | 'wrong-hash';

export const BLOB_PROBLEM_TEXT: Record<BlobProblem, string> = {
  missing: 'is missing',
  'not-a-file': 'is not a file (a folder or a device stands in its place)',
  'wrong-size': 'has the wrong size (its bytes were changed or cut short)',
  'wrong-hash': 'has changed: its bytes no longer match their SHA-256',
};

export async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

export class BlobStore {
  /** Files already hashed in this process, by path, with the size and mtime they had then. */
  private readonly verified = new Map<string, string>();

  constructor(readonly root: string) {}

  /**
   * Checks one stored file against its name: present, a regular file, the expected size and (once per process
   * and per change of size or mtime) the bytes' SHA-256. Null when intact.
   */
  async verify(sha256: string, extension: string, expectedSize?: number): Promise<BlobProblem | null> {
    const file = this.pathFor(sha256, extension);
    const info = await stat(file).catch(() => null);
    if (!info) return 'missing';
    if (!info.isFile()) return 'not-a-file';
    if (expectedSize !== undefined && info.size !== expectedSize) return 'wrong-size';
    const stamp = `${info.size}:${info.mtimeMs}`;
    if (this.verified.get(file) === stamp) return null;
    const actual = await hashFile(file).catch(() => null);
    if (!actual) return 'missing';
    if (actual.sha256 !== sha256) return 'wrong-hash';
    this.verified.set(file, stamp);
    return null;
  }

  /** Files keep an extension (the image's format) so the store can be browsed with ordinary tools. */
  pathFor(sha256: string, extension: string): string {
    return path.join(this.root, sha256.slice(0, 2), `${sha256}.${extension}`);
  }

  async has(sha256: string, extension: string): Promise<boolean> {
    return access(this.pathFor(sha256, extension)).then(
      () => true,
      () => false,
    );
  }

  /** Streams a file into the store, hashing it on the way (one read, constant memory for any file size). */
  async putFile(source: string, extension: string): Promise<StoredBlob> {
    const temp = this.tempPath();
    await mkdir(path.dirname(temp), { recursive: true });
    const hash = createHash('sha256');
    let size = 0;
    const hasher = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(createReadStream(source), hasher, createWriteStream(temp));
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    return this.commit(temp, hash.digest('hex'), size, extension);
  }

  async putBuffer(bytes: Uint8Array, extension: string): Promise<StoredBlob> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const existing = this.pathFor(sha256, extension);
    if (await this.has(sha256, extension)) {
      await utimes(existing, new Date(), new Date()).catch(() => undefined);
      return { sha256, size: bytes.length, path: existing, added: false };
    }
    const temp = this.tempPath();
    await mkdir(path.dirname(temp), { recursive: true });
    await writeFile(temp, bytes);
    return this.commit(temp, sha256, bytes.length, extension);
  }

  private async commit(temp: string, sha256: string, size: number, extension: string): Promise<StoredBlob> {
    const target = this.pathFor(sha256, extension);
    if (await this.has(sha256, extension)) {
      await unlink(temp);
      // touched, so the clean-up at open never takes a file an import is about to catalog for an old orphan
      await utimes(target, new Date(), new Date()).catch(() => undefined);
      return { sha256, size, path: target, added: false };
    }
    await mkdir(path.dirname(target), { recursive: true });
    await rename(temp, target);
    return { sha256, size, path: target, added: true };
  }

  private tempPath(): string {
    return path.join(this.root, '.incoming', temporaryName());
  }
}
