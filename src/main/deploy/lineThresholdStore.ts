// The line's thresholds of each model version (table line_thresholds, migration 6). A version never changes, so its
// thresholds live beside it: derived once from validation, then editable, with the derivation kept to show what
// the thresholds were promised to do.
import { InputError } from '../../shared/errors.js';
import type { Catalog } from '../store/catalog.js';
import type { ImageThresholds, LineTargets, PixelThreshold } from '../metrics/index.js';

export interface LineThresholds {
  versionId: number;
  /** Score ≥ review → at least review; below → pass. */
  review: number;
  /** Score ≥ reject → reject. */
  reject: number;
  /** Map value ≥ pixel → marked in the mask. */
  pixel: number;
  basis: ImageThresholds['basis'];
  targets: LineTargets;
  derivation: { image: ImageThresholds; pixel: PixelThreshold; validationImages: number };
  derivedAt: string;
  editedAt: string | null;
}

interface Row {
  version_id: number;
  review: number;
  reject: number;
  pixel: number;
  basis: ImageThresholds['basis'];
  targets: string;
  derivation: string;
  derived_at: string;
  edited_at: string | null;
}

function fromRow(row: Row): LineThresholds {
  return {
    versionId: row.version_id,
    review: row.review,
    reject: row.reject,
    pixel: row.pixel,
    basis: row.basis,
    targets: JSON.parse(row.targets) as LineTargets,
    derivation: JSON.parse(row.derivation) as LineThresholds['derivation'],
    derivedAt: row.derived_at,
    editedAt: row.edited_at,
  };
}

export function checkThresholdValues(values: { review: number; reject: number; pixel: number }): void {
  for (const name of ['review', 'reject', 'pixel'] as const) {
    const v = values[name];
    if (!Number.isFinite(v) || v < 0 || v > 1) throw new InputError('thresholds-out-of-range', `the ${name} threshold ${v} must be a number in [0, 1] (scores and maps are probabilities)`);
  }
  if (values.review > values.reject) {
    throw new InputError('thresholds-out-of-order', `the review threshold ${values.review} is above the reject threshold ${values.reject}; parts between them go to review, so review ≤ reject`);
  }
}

export class LineThresholdStore {
  constructor(private readonly db: Catalog) {}

  get(versionId: number): LineThresholds | undefined {
    const row = this.db.prepare('SELECT * FROM line_thresholds WHERE version_id = ?').get(versionId) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Stores freshly derived thresholds (replacing earlier ones of the version). */
  putDerived(input: Omit<LineThresholds, 'derivedAt' | 'editedAt'>): LineThresholds {
    checkThresholdValues(input);
    this.db
      .prepare(
        `INSERT OR REPLACE INTO line_thresholds (version_id, review, reject, pixel, basis, targets, derivation, derived_at, edited_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
      )
      .run(input.versionId, input.review, input.reject, input.pixel, input.basis, JSON.stringify(input.targets), JSON.stringify(input.derivation), new Date().toISOString());
    return this.get(input.versionId)!;
  }

  /** A person's edit of some of the values; the derivation stays as it was, for comparison. */
  edit(versionId: number, values: Partial<Pick<LineThresholds, 'review' | 'reject' | 'pixel'>>): LineThresholds {
    const current = this.get(versionId);
    if (!current) throw new InputError('thresholds-not-set', `model v${versionId} has no thresholds yet; derive them first (dwb thresholds --project <dir> --model v${versionId})`);
    const next = { review: values.review ?? current.review, reject: values.reject ?? current.reject, pixel: values.pixel ?? current.pixel };
    checkThresholdValues(next);
    this.db
      .prepare('UPDATE line_thresholds SET review = ?, reject = ?, pixel = ?, edited_at = ? WHERE version_id = ?')
      .run(next.review, next.reject, next.pixel, new Date().toISOString(), versionId);
    return this.get(versionId)!;
  }
}
