// Project settings: a few typed values in the catalog's key/value table, with defaults for keys never written.
import { z } from 'zod';
import type { Catalog } from './catalog.js';

const settingsSchema = z.object({
  name: z.string().min(1),
  createdAt: z.string(),
  /** Share of the training images held out for validation, per label state. */
  valFraction: z.number().min(0).max(0.9),
  /** Seed of the validation split; the same seed and images always give the same split. */
  splitSeed: z.number().int(),
});
export type ProjectSettings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Omit<ProjectSettings, 'name' | 'createdAt'> = { valFraction: 0.2, splitSeed: 42 };

export function readSettings(db: Catalog): ProjectSettings {
  const rows = db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[];
  const stored = Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
  return settingsSchema.parse({ name: 'Untitled project', createdAt: '', ...DEFAULT_SETTINGS, ...stored });
}

export function writeSettings(db: Catalog, patch: Partial<ProjectSettings>): ProjectSettings {
  const next = settingsSchema.parse({ ...readSettings(db), ...patch });
  const upsert = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  db.transaction(() => {
    for (const [key, value] of Object.entries(patch)) upsert.run(key, JSON.stringify(value));
  })();
  return next;
}
