// Content-addressed files: each is named by the SHA-256 of its bytes, so storing the same content twice is a no-op
// and a name, once written, always means the same bytes. Writes go to a temporary file first and are renamed into
// place, so a crash never leaves a half-written file under a real name.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

export interface StoredBlob {
  sha256: string;
  size: number;
  path: string;
  /** False when the same content was already stored. */
  added: boolean;
}

export class BlobStore {
  constructor(readonly root: string) {}

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
    if (await this.has(sha256, extension)) return { sha256, size: bytes.length, path: existing, added: false };
    const temp = this.tempPath();
    await mkdir(path.dirname(temp), { recursive: true });
    await writeFile(temp, bytes);
    return this.commit(temp, sha256, bytes.length, extension);
  }

  private async commit(temp: string, sha256: string, size: number, extension: string): Promise<StoredBlob> {
    const target = this.pathFor(sha256, extension);
    if (await this.has(sha256, extension)) {
      await unlink(temp);
      return { sha256, size, path: target, added: false };
    }
    await mkdir(path.dirname(target), { recursive: true });
    await rename(temp, target);
    return { sha256, size, path: target, added: true };
  }

  private tempPath(): string {
    return path.join(this.root, '.incoming', `${randomBytes(8).toString('hex')}.part`);
  }
}
