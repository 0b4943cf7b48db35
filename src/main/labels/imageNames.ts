// How label files name images: by file name, with as many parent folders as it takes to tell two images apart
// (MVTec's test/good/000.png and train/good/000.png). Exports write these names; imports match them back.
import path from 'node:path';
import type { ImageRecord } from '../../shared/domain.js';

type Named = Pick<ImageRecord, 'id' | 'sourcePath'>;

const parts = (p: string) => p.replace(/\\/g, '/').split('/').filter(Boolean);

/** The shortest path suffix of each image's source that no other image shares. */
export function uniqueNames(images: readonly Named[]): Map<number, string> {
  const depth = new Map(images.map((i) => [i.id, 1]));
  const name = (i: Named) => parts(i.sourcePath).slice(-depth.get(i.id)!).join('/');
  for (let round = 0; round < 64; round++) {
    const groups = new Map<string, Named[]>();
    for (const image of images) {
      const key = name(image);
      groups.set(key, [...(groups.get(key) ?? []), image]);
    }
    let grew = false;
    for (const group of groups.values()) {
      if (group.length < 2) continue;
      for (const image of group) {
        if (depth.get(image.id)! < parts(image.sourcePath).length) {
          depth.set(image.id, depth.get(image.id)! + 1);
          grew = true;
        }
      }
    }
    if (!grew) break;
  }
  return new Map(images.map((i) => [i.id, name(i)]));
}

export const stemOf = (name: string) => path.posix.basename(name.replace(/\\/g, '/')).replace(/\.[^.]+$/, '');

export type Match = { kind: 'one'; id: number } | { kind: 'none' } | { kind: 'many'; count: number };

/** Finds the images a label file names, by path suffix (with or without the extension). */
export class NameIndex {
  private readonly byBase = new Map<string, Named[]>();
  private readonly byStem = new Map<string, Named[]>();

  constructor(images: readonly Named[]) {
    for (const image of images) {
      const base = parts(image.sourcePath).at(-1)!;
      this.byBase.set(base, [...(this.byBase.get(base) ?? []), image]);
      const stem = stemOf(base);
      this.byStem.set(stem, [...(this.byStem.get(stem) ?? []), image]);
    }
  }

  /** `name` may carry folders ("broken_large/000.png"); without an extension it matches any. */
  find(name: string): Match {
    const wanted = parts(name);
    if (wanted.length === 0) return { kind: 'none' };
    const last = wanted.at(-1)!;
    const hasExtension = /\.[^.]+$/.test(last);
    const pool = (hasExtension ? this.byBase.get(last) : this.byStem.get(last)) ?? [];
    const folders = wanted.slice(0, -1);
    const hits = pool.filter((image) => {
      const have = parts(image.sourcePath).slice(0, -1);
      if (folders.length > have.length) return false;
      return folders.every((f, k) => have[have.length - folders.length + k] === f);
    });
    if (hits.length === 1) return { kind: 'one', id: hits[0]!.id };
    return hits.length === 0 ? { kind: 'none' } : { kind: 'many', count: hits.length };
  }
}
