// Counts per split and label kind, and per defect class: what `dwb stats` prints and the app's counters show.
import { SPLITS, type ProjectStats, type Split } from '../../shared/domain.js';
import type { Catalog } from './catalog.js';

export function projectStats(db: Catalog): ProjectStats {
  const splits = Object.fromEntries(
    SPLITS.map((s) => [s, { normal: 0, anomalous: 0, unlabeled: 0, masks: 0 }]),
  ) as ProjectStats['splits'];
  const rows = db
    .prepare(
      `SELECT split, label_state AS state, count(*) AS n, count(mask_sha256) AS masks
       FROM images GROUP BY split, label_state`,
    )
    .all() as { split: Split; state: 'normal' | 'anomalous' | 'unlabeled'; n: number; masks: number }[];
  let images = 0;
  for (const row of rows) {
    splits[row.split][row.state] += row.n;
    splits[row.split].masks += row.masks;
    images += row.n;
  }
  const classRows = db
    .prepare('SELECT defect_class AS name, count(*) AS n FROM images WHERE defect_class IS NOT NULL GROUP BY defect_class ORDER BY defect_class')
    .all() as { name: string; n: number }[];
  const classes = Object.fromEntries(classRows.map((r) => [r.name, r.n]));
  return { images, splits, classes };
}
