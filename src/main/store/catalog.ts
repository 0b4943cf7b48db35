// Opens a project's SQLite catalog: refuses a damaged catalog (empty, not SQLite, failing SQLite's quick check) and
// one from a newer workbench before writing anything, then sets WAL and foreign keys and applies the numbered
// migrations, each in its own transaction.
import { accessSync, closeSync, constants, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { explainFault, faultCode, ProjectError } from '../../shared/errors.js';
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
  if (!options.create) refuseDamagedFile(file);
  let db: Catalog;
  try {
    db = new Database(file, { fileMustExist: !options.create, readonly: options.readonly ?? false });
  } catch (error) {
    if (options.create) throw error; // the creator explains it, naming the project rather than a temporary file
    throw (
      whyNotWritable(file) ??
      explainFault(error, { path: file }) ??
      new ProjectError(
        'catalog-unreadable',
        `cannot open the project catalog ${file}: ${(error as Error).message}. Check that the folder is a Defect Workbench project and that you may read and write it.`,
      )
    );
  }
  try {
    if (!options.create) quickCheck(db, file);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version === 0 && !options.create) {
      throw damaged(file, 'it holds no project tables (it was emptied or replaced)');
    }
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
    if (error instanceof ProjectError || options.create) throw error;
    throw (options.readonly ? null : whyNotWritable(file)) ?? explainFault(error, { path: file }) ?? error;
  }
}

/** SQLite says only "unable to open database file" for a read-only folder or disk: find out which it is. */
function whyNotWritable(file: string): Error | null {
  for (const target of [path.dirname(file), file]) {
    try {
      accessSync(target, constants.W_OK);
    } catch (error) {
      if (faultCode(error) === 'ENOENT') continue;
      const fault = explainFault(error, { path: target });
      return fault && new ProjectError('project-read-only', `${fault.message.replace(/:.*$/, '')}: the workbench must write the catalog ${file} to open the project; make it writable, or copy the project folder to a writable disk`);
    }
  }
  return null;
}

const SQLITE_HEADER = 'SQLite format 3\0';

/** Whether the catalog has a table (`dwb check` reads a catalog as it is, which may be at an older schema). */
export function hasTable(db: Catalog, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** The message every refusal of a damaged catalog shares: what is wrong, that nothing was written, what to do. */
export function damaged(file: string, what: string): ProjectError {
  return new ProjectError(
    'catalog-damaged',
    `the project catalog ${file} is damaged: ${what}. The workbench will not write to it, and nothing was changed. ` +
      `Restore project.sqlite from a backup copy of the project; "dwb check --project ${path.dirname(file)}" lists what is damaged.`,
  );
}

/**
 * Checks the file before SQLite sees it: SQLite would take an empty or missing file for a new database and write a
 * fresh, empty catalog over the damage.
 */
function refuseDamagedFile(file: string): void {
  let info;
  try {
    info = statSync(file);
  } catch (error) {
    if (faultCode(error) === 'ENOENT') throw damaged(file, 'the file is missing (or is a link to nothing)');
    throw explainFault(error, { path: file }) ?? error;
  }
  if (!info.isFile()) throw damaged(file, 'it is not a regular file (a link to a device or a folder stands in its place)');
  const header = Buffer.alloc(SQLITE_HEADER.length);
  let fd;
  try {
    fd = openSync(file, 'r');
    readSync(fd, header, 0, header.length, 0);
  } catch (error) {
    throw explainFault(error, { path: file }) ?? error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (info.size === 0) {
    // a catalog whose every page still sits in its write-ahead log is whole; SQLite reads it from there
    const wal = statSync(`${file}-wal`, { throwIfNoEntry: false });
    if (!wal || wal.size === 0) throw damaged(file, 'it is empty (0 bytes): it was truncated');
    return;
  }
  if (header.toString('latin1') !== SQLITE_HEADER) throw damaged(file, 'it is not an SQLite database (its first bytes were overwritten or another file stands in its place)');
}

/**
 * Where the last clean quick check is remembered: the catalog file's identity, size and mtime then. A catalog
 * unchanged since (and with no write-ahead log to replay) need not be read whole again; any write to it, ours or
 * not, changes the mtime and brings the full check back. Damage that keeps size and mtime (a failing disk) is left
 * to `dwb check`.
 */
const checkedStampOf = (file: string) => `${file}-checked`;

function fileStamp(file: string): string | null {
  const info = statSync(file, { throwIfNoEntry: false });
  const wal = statSync(`${file}-wal`, { throwIfNoEntry: false });
  if (!info || (wal && wal.size > 0)) return null;
  return JSON.stringify({ ino: info.ino, size: info.size, mtimeMs: info.mtimeMs });
}

/** SQLite's quick check: every page and b-tree well formed (not index contents); linear in the catalog's size. */
function quickCheck(db: Catalog, file: string): void {
  const before = fileStamp(file);
  if (before !== null && readStamp(checkedStampOf(file)) === before) return;
  let problems: string[];
  try {
    problems = (db.pragma('quick_check(20)') as { quick_check: string }[]).map((r) => r.quick_check);
  } catch (error) {
    const code = faultCode(error);
    if (code?.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') throw damaged(file, `SQLite cannot read it (${(error as Error).message})`);
    throw error;
  }
  if (problems.length === 1 && problems[0] === 'ok') {
    if (before !== null && fileStamp(file) === before) writeStamp(checkedStampOf(file), before);
    return;
  }
  throw damaged(file, `SQLite's quick check found ${problems.length >= 20 ? '20 or more' : problems.length} problem${problems.length === 1 ? '' : 's'}, first: ${problems[0]}`);
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

function readStamp(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function writeStamp(file: string, stamp: string): void {
  try {
    writeFileSync(file, stamp);
  } catch {
    // a read-only folder: the next open checks again
  }
}
