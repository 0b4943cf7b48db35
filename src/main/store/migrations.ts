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
    version: 4,
    description: 'training runs, model versions with their dataset snapshot, evaluations with per-image scores and maps',
    sql: `
      -- One training run: its folder is runs/<id>/ (checkpoints), its request the resolved config and the dataset
      -- snapshot taken when it started, so a resumed run trains on exactly what it started with.
      CREATE TABLE training_runs (
        id         TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        status     TEXT NOT NULL CHECK (status IN ('running', 'cancelled', 'failed', 'completed')),
        -- host:pid of the process running it while status is 'running' (a dead owner means it was killed)
        owner      TEXT,
        request    TEXT NOT NULL,
        error      TEXT,
        version_id INTEGER
      ) STRICT;

      -- A trained model. Never updated (a trigger refuses it); deleting one is an explicit act. Files it names live
      -- in the project's models/ store by SHA-256 and are written before the row.
      CREATE TABLE model_versions (
        id                INTEGER PRIMARY KEY,
        created_at        TEXT NOT NULL,
        run_id            TEXT NOT NULL UNIQUE,
        -- the version it was warm-started from; no foreign key, since that one may be deleted later
        parent_id         INTEGER,
        preset            TEXT NOT NULL,
        config            TEXT NOT NULL,
        backbone_sha256   TEXT NOT NULL,
        backbone_name     TEXT NOT NULL,
        backbone_source   TEXT NOT NULL,
        feature_scale     REAL NOT NULL,
        graph_sha256      TEXT NOT NULL,
        parameters_sha256 TEXT NOT NULL,
        snapshot_sha256   TEXT NOT NULL,
        snapshot_counts   TEXT NOT NULL,
        metrics           TEXT NOT NULL,
        train_seconds     REAL NOT NULL CHECK (train_seconds >= 0),
        provider          TEXT NOT NULL
      ) STRICT;
      CREATE TRIGGER model_versions_immutable BEFORE UPDATE ON model_versions
      BEGIN SELECT RAISE(ABORT, 'a model version never changes once written; train a new one instead'); END;

      -- Which images, with which labels and masks, in which split, a version was trained from.
      CREATE TABLE model_snapshot_images (
        version_id   INTEGER NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
        image_id     INTEGER NOT NULL,
        image_sha256 TEXT NOT NULL,
        split        TEXT NOT NULL CHECK (split IN ('train', 'val', 'test')),
        label_state  TEXT NOT NULL CHECK (label_state IN ('normal', 'anomalous')),
        mask_sha256  TEXT,
        PRIMARY KEY (version_id, image_id)
      ) STRICT, WITHOUT ROWID;
      CREATE TRIGGER model_snapshot_immutable BEFORE UPDATE ON model_snapshot_images
      BEGIN SELECT RAISE(ABORT, 'a model version''s dataset snapshot never changes once written'); END;

      -- An evaluation of a version on one split; a newer one of the same version and split replaces it.
      CREATE TABLE evaluations (
        id           INTEGER PRIMARY KEY,
        version_id   INTEGER NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
        created_at   TEXT NOT NULL,
        split        TEXT NOT NULL CHECK (split IN ('train', 'val', 'test')),
        metrics      TEXT NOT NULL,
        images       INTEGER NOT NULL CHECK (images >= 0),
        ms_per_image REAL NOT NULL,
        provider     TEXT NOT NULL,
        map_width    INTEGER NOT NULL CHECK (map_width > 0),
        map_height   INTEGER NOT NULL CHECK (map_height > 0)
      ) STRICT;
      CREATE INDEX evaluations_version ON evaluations (version_id, split);
      CREATE TRIGGER evaluations_immutable BEFORE UPDATE ON evaluations
      BEGIN SELECT RAISE(ABORT, 'an evaluation never changes once written; evaluate again instead'); END;

      -- Per image: the label it had when evaluated, its score, and its anomaly map as an 8-bit PNG (in the maps/
      -- store by SHA-256) at the model's size, with the value range the 0..255 levels span.
      CREATE TABLE evaluation_images (
        evaluation_id INTEGER NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
        image_id      INTEGER NOT NULL,
        label_state   TEXT NOT NULL CHECK (label_state IN ('unlabeled', 'normal', 'anomalous')),
        has_mask      INTEGER NOT NULL CHECK (has_mask IN (0, 1)),
        score         REAL NOT NULL,
        map_sha256    TEXT NOT NULL,
        map_min       REAL NOT NULL,
        map_max       REAL NOT NULL,
        PRIMARY KEY (evaluation_id, image_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX evaluation_images_map ON evaluation_images (map_sha256);
      CREATE TRIGGER evaluation_images_immutable BEFORE UPDATE ON evaluation_images
      BEGIN SELECT RAISE(ABORT, 'an evaluation never changes once written; evaluate again instead'); END;
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
  {
    version: 6,
    description: 'line thresholds per model version (editable), predictions recorded for the drift monitor',
    sql: `
      -- The line's thresholds of a model version: derived from validation for stated targets, editable later (a
      -- version never changes, so they live beside it). \`derivation\` keeps what the derivation promised (rates,
      -- bootstrap intervals, image counts, whether it stood on normal images only) as JSON.
      CREATE TABLE line_thresholds (
        version_id  INTEGER PRIMARY KEY REFERENCES model_versions (id) ON DELETE CASCADE,
        review      REAL NOT NULL,
        reject      REAL NOT NULL,
        pixel       REAL NOT NULL,
        basis       TEXT NOT NULL CHECK (basis IN ('good-and-bad', 'normal-only')),
        targets     TEXT NOT NULL,
        derivation  TEXT NOT NULL,
        derived_at  TEXT NOT NULL,
        edited_at   TEXT,
        CHECK (review <= reject)
      ) STRICT;

      -- Every image scored by dwb predict (or a watched folder), in order, for the drift monitor.
      CREATE TABLE predictions (
        id           INTEGER PRIMARY KEY,
        version_id   INTEGER NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
        predicted_at TEXT NOT NULL,
        path         TEXT NOT NULL,
        score        REAL NOT NULL,
        label        TEXT NOT NULL CHECK (label IN ('pass', 'review', 'reject'))
      ) STRICT;
      CREATE INDEX predictions_version ON predictions (version_id, id);
    `,
  },
  {
    version: 7,
    description: 'the line monitor: a watched folder per project (resumed on open) and every file it has seen',
    sql: `
      -- The one watched folder of a project: where, with which version, and whether it is watching (resumed when the
      -- project opens) or was stopped by the user.
      CREATE TABLE monitor_settings (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        folder      TEXT NOT NULL,
        version_id  INTEGER REFERENCES model_versions (id) ON DELETE SET NULL,
        recursive   INTEGER NOT NULL CHECK (recursive IN (0, 1)),
        watching    INTEGER NOT NULL CHECK (watching IN (0, 1)),
        started_at  TEXT NOT NULL,
        stopped_at  TEXT
      ) STRICT;

      -- Every file the monitor has seen, by path, size and modification time (a file rewritten in place is new), with
      -- its content hash, and what became of it: scored (its prediction is in predictions), ignored (not an image, a
      -- copy of a scored file, already there when watching started) or failed (unreadable), with the reason.
      CREATE TABLE monitor_files (
        id          INTEGER PRIMARY KEY,
        folder      TEXT NOT NULL,
        path        TEXT NOT NULL,
        size        INTEGER NOT NULL,
        mtime_ms    REAL NOT NULL,
        sha256      TEXT,
        status      TEXT NOT NULL CHECK (status IN ('scored', 'ignored', 'failed', 'existing')),
        version_id  INTEGER,
        score       REAL,
        outcome     TEXT CHECK (outcome IN ('pass', 'review', 'reject')),
        reason      TEXT,
        seen_at     TEXT NOT NULL
      ) STRICT;
      CREATE INDEX monitor_files_path ON monitor_files (path, size, mtime_ms);
      CREATE INDEX monitor_files_sha ON monitor_files (sha256) WHERE status = 'scored';
    `,
  },
  {
    version: 8,
    description: 'per-defect-class metrics of an evaluation',
    sql: `
      -- Each defect class's anomalous images against all the split's normal images (JSON); null for evaluations
      -- written before the workbench kept them.
      ALTER TABLE evaluations ADD COLUMN by_class TEXT;
    `,
  },
  {
    version: 9,
    description: "images' EXIF orientation",
    sql: `
      -- The EXIF orientation an image's pixels are turned by (1: as stored). NULL for images imported before the
      -- workbench turned them, until the project's next open has read it and fitted the image's size, masks and
      -- thumbnail to the turned picture (store/orientation.ts). BMP carries no orientation.
      ALTER TABLE images ADD COLUMN orientation INTEGER CHECK (orientation BETWEEN 1 AND 8);
      UPDATE images SET orientation = 1 WHERE format = 'bmp';
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
