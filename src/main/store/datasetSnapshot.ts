// The dataset snapshot of a training run: every labelled image with its split, label and mask at the moment training
// starts, its counts per split and supervision strength, and a hash that names exactly that set.
import { createHash } from 'node:crypto';
import { SPLITS, type Split } from '../../shared/domain.js';
import type { SnapshotCounts } from '../../shared/models.js';
import type { Catalog } from './catalog.js';

export interface SnapshotImage {
  imageId: number;
  imageSha256: string;
  split: Split;
  labelState: 'normal' | 'anomalous';
  maskSha256: string | null;
}

export interface DatasetSnapshot {
  images: SnapshotImage[];
  counts: SnapshotCounts;
  sha256: string;
}

export function takeSnapshot(db: Catalog): DatasetSnapshot {
  const images = db
    .prepare(
      `SELECT id AS imageId, sha256 AS imageSha256, split, label_state AS labelState, mask_sha256 AS maskSha256
       FROM images WHERE label_state IN ('normal', 'anomalous') ORDER BY id`,
    )
    .all() as SnapshotImage[];
  return describeSnapshot(images);
}

export function describeSnapshot(images: SnapshotImage[]): DatasetSnapshot {
  return { images, counts: snapshotCounts(images), sha256: snapshotHash(images) };
}

export function snapshotCounts(images: readonly SnapshotImage[]): SnapshotCounts {
  const counts = Object.fromEntries(SPLITS.map((s) => [s, { normal: 0, weak: 0, full: 0 }])) as SnapshotCounts;
  for (const image of images) {
    const kind = image.labelState === 'normal' ? 'normal' : image.maskSha256 ? 'full' : 'weak';
    counts[image.split][kind]++;
  }
  return counts;
}

/** Independent of image ids and order: two projects holding the same labelled content get the same hash. */
export function snapshotHash(images: readonly SnapshotImage[]): string {
  const lines = images.map((i) => `${i.imageSha256} ${i.split} ${i.labelState} ${i.maskSha256 ?? '-'}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}
