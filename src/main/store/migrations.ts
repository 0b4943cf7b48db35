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
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
