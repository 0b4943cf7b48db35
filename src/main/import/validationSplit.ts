// The validation split: a fixed share of the training pool (train ∪ val), drawn per label state so that normal,
// anomalous and unlabeled images are all represented. Each image's place is decided by ranking a seeded hash of
// its content, so the split depends only on the seed and the set of images: the same project always gets the
// same split, whatever the import order, and an import interrupted and run again ends with the same split too.
import { createHash } from 'node:crypto';
import type { LabelState, Split } from '../../shared/domain.js';
import type { Project } from '../store/project.js';

export interface SplitOutcome {
  train: number;
  val: number;
  moved: number;
}

export function splitRank(seed: number, sha256: string): string {
  return createHash('sha256').update(`${seed}:${sha256}`).digest('hex');
}

export function assignValidationSplit(project: Project, options: { fraction?: number; seed?: number } = {}): SplitOutcome {
  const settings = project.settings;
  const fraction = options.fraction ?? settings.valFraction;
  const seed = options.seed ?? settings.splitSeed;
  const pool = project.db
    .prepare(`SELECT id, sha256, split, label_state AS labelState FROM images WHERE split IN ('train', 'val') AND split_pinned = 0`)
    .all() as { id: number; sha256: string; split: Split; labelState: LabelState }[];
  const groups = new Map<LabelState, typeof pool>();
  for (const image of pool) {
    const group = groups.get(image.labelState);
    if (group) group.push(image);
    else groups.set(image.labelState, [image]);
  }

  const changes: { id: number; split: Split }[] = [];
  let val = 0;
  for (const group of groups.values()) {
    const ranked = group.map((image) => ({ image, rank: splitRank(seed, image.sha256) })).sort((a, b) => (a.rank < b.rank ? -1 : 1));
    const valCount = Math.round(fraction * ranked.length);
    ranked.forEach(({ image }, index) => {
      const split: Split = index < valCount ? 'val' : 'train';
      if (split === 'val') val++;
      if (split !== image.split) changes.push({ id: image.id, split });
    });
  }
  project.images.setSplits(changes);
  return { train: pool.length - val, val, moved: changes.length };
}
