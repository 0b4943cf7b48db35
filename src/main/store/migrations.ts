// Numbered schema migrations. The catalog's `PRAGMA user_version` is the number of the last one applied.
// Never edit a migration that has shipped: add the next one.

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'images, masks, label history, import runs, project settings',
    sql: `
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE masks (
        sha256 TEXT PRIMARY KEY,
        width  INTEGER NOT NULL CHECK (width > 0),
        height INTEGER NOT NULL CHECK (height > 0),
        -- number of defect pixels (value 255 after binarization)
        area   INTEGER NOT NULL CHECK (area >= 0)
      ) STRICT;

      CREATE TABLE images (
        id               INTEGER PRIMARY KEY,
        sha256           TEXT NOT NULL UNIQUE,
        original_name    TEXT NOT NULL,
        source_path      TEXT NOT NULL,
        width            INTEGER NOT NULL CHECK (width > 0),
        height           INTEGER NOT NULL CHECK (height > 0),
        channels         INTEGER NOT NULL CHECK (channels BETWEEN 1 AND 4),
        bit_depth        INTEGER NOT NULL CHECK (bit_depth IN (1, 8, 16, 32)),
        format           TEXT NOT NULL CHECK (format IN ('png', 'jpeg', 'bmp', 'tiff')),
        file_size        INTEGER NOT NULL CHECK (file_size > 0),
        split            TEXT NOT NULL CHECK (split IN ('train', 'val', 'test')),
        label_state      TEXT NOT NULL DEFAULT 'unlabeled' CHECK (label_state IN ('unlabeled', 'normal', 'anomalous')),
        mask_sha256      TEXT REFERENCES masks (sha256),
        defect_class     TEXT,
        imported_at      TEXT NOT NULL,
        label_updated_at TEXT,
        CHECK (mask_sha256 IS NULL OR label_state = 'anomalous'),
        CHECK (defect_class IS NULL OR label_state = 'anomalous')
      ) STRICT;
      CREATE INDEX images_split_label ON images (split, label_state);
      CREATE INDEX images_defect_class ON images (defect_class) WHERE defect_class IS NOT NULL;

      -- Every label change ever made, newest last; the images row holds the current state.
      CREATE TABLE label_events (
        id           INTEGER PRIMARY KEY,
        image_id     INTEGER NOT NULL REFERENCES images (id),
        at           TEXT NOT NULL,
        label_state  TEXT NOT NULL CHECK (label_state IN ('unlabeled', 'normal', 'anomalous')),
        mask_sha256  TEXT REFERENCES masks (sha256),
        defect_class TEXT,
        source       TEXT NOT NULL CHECK (source IN ('import', 'user', 'review'))
      ) STRICT;
      CREATE INDEX label_events_image ON label_events (image_id, id);

      CREATE TABLE import_runs (
        id          INTEGER PRIMARY KEY,
        source      TEXT NOT NULL,
        layout      TEXT NOT NULL,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        status      TEXT NOT NULL CHECK (status IN ('running', 'completed', 'cancelled', 'failed')),
        report      TEXT
      ) STRICT;
    `,
  },
  {
    version: 2,
    description: 'a split chosen by a person is pinned: re-imports and re-splits leave it',
    sql: `
      ALTER TABLE images ADD COLUMN split_pinned INTEGER NOT NULL DEFAULT 0 CHECK (split_pinned IN (0, 1));
    `,
  },
  {
    version: 3,
    description: 'defect classes table, indexed (class per pixel) masks, restores in the label history',
    sql: `
      -- The project's defect classes. The id is the pixel value in an indexed mask, so it fits one byte.
      CREATE TABLE defect_classes (
        id         INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 255),
        name       TEXT NOT NULL UNIQUE,
        color      TEXT NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;
      INSERT INTO defect_classes (name, color, created_at)
        SELECT name, '', strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM (
          SELECT defect_class AS name FROM images WHERE defect_class IS NOT NULL
          UNION SELECT defect_class FROM label_events WHERE defect_class IS NOT NULL
        ) ORDER BY name;
      UPDATE defect_classes SET color = CASE (id - 1) % 10 WHEN 0 THEN '#e53935' WHEN 1 THEN '#fb8c00' WHEN 2 THEN '#d81b60' WHEN 3 THEN '#8e24aa' WHEN 4 THEN '#1e88e5' WHEN 5 THEN '#00acc1' WHEN 6 THEN '#43a047' WHEN 7 THEN '#fdd835' WHEN 8 THEN '#6d4c41' WHEN 9 THEN '#3949ab' END;

      -- Indexed masks: 8-bit grey PNGs whose pixel value is a defect class id (0 = no defect). The binary mask in
      -- masks stays the union that training reads. A mask from before this migration has no indexed mask: it is
      -- derived exactly from its binary mask and the image's class, so nothing needs rewriting.
      CREATE TABLE class_masks (
        sha256 TEXT PRIMARY KEY,
        width  INTEGER NOT NULL CHECK (width > 0),
        height INTEGER NOT NULL CHECK (height > 0),
        -- JSON object: class id → number of its pixels
        areas  TEXT NOT NULL
      ) STRICT;
      ALTER TABLE images ADD COLUMN class_mask_sha256 TEXT REFERENCES class_masks (sha256);
      ALTER TABLE label_events ADD COLUMN class_mask_sha256 TEXT REFERENCES class_masks (sha256);
      ALTER TABLE label_events ADD COLUMN restored_from INTEGER REFERENCES label_events (id);
    `,
  },
  {
    version: 5,
    description: 'import runs record the process that runs them, so a run left "running" by a killed process is recognized',
    sql: `
      ALTER TABLE import_runs ADD COLUMN pid INTEGER;
      ALTER TABLE import_runs ADD COLUMN host TEXT;
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
