// Opens a project's SQLite catalog: refuses a catalog from a newer workbench before touching it, then sets WAL and
// foreign keys and applies the numbered migrations, each in its own transaction.
import Database from 'better-sqlite3';
import { ProjectError } from '../../shared/errors.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations.js';

export type Catalog = Database.Database;

export interface OpenCatalogOptions {
  /** Create the file if it does not exist (only `dwb init` / project creation does this). */
  create?: boolean;
  readonly?: boolean;
  migrations?: readonly Migration[];
}

export function openCatalog(file: string, options: OpenCatalogOptions = {}): Catalog {
  const migrations = options.migrations ?? MIGRATIONS;
  const latest = migrations.at(-1)?.version ?? 0;
  let db: Catalog;
  try {
    db = new Database(file, { fileMustExist: !options.create, readonly: options.readonly ?? false });
  } catch (error) {
    throw new ProjectError(
      'catalog-unreadable',
      `cannot open the project catalog ${file}: ${(error as Error).message}. Check that the folder is a Defect Workbench project and that you may read and write it.`,
    );
  }
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > latest) {
      throw new ProjectError(
        'project-too-new',
        `this project was written by a newer Defect Workbench (catalog schema ${version}; this version knows up to ${latest}). Update the workbench to open it; the project was left unchanged.`,
      );
    }
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // WAL with synchronous=NORMAL is durable against application crashes (the case that matters for a
      // killed import) and only risks the last transactions on power loss, never corruption.
      db.pragma('synchronous = NORMAL');
      applyMigrations(db, migrations, version);
    } else if (version < latest) {
      throw new ProjectError(
        'project-needs-upgrade',
        `this project's catalog (schema ${version}) must be upgraded to schema ${latest} before it can be read; open it once without read-only mode.`,
      );
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function applyMigrations(db: Catalog, migrations: readonly Migration[], from: number): void {
  for (const migration of migrations) {
    if (migration.version <= from) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}

export { LATEST_SCHEMA_VERSION };
