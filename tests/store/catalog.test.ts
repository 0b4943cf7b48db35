import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openCatalog } from '../../src/main/store/catalog.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src/main/store/migrations.js';
import { Project } from '../../src/main/store/project.js';
import { ProjectError } from '../../src/shared/errors.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

describe('catalog', () => {
  it('runs the numbered migrations at open, with WAL and foreign keys on', async () => {
    const file = path.join(await tempDir(), 'c.sqlite');
    const db = openCatalog(file, { create: true });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['images', 'masks', 'label_events', 'import_runs', 'settings']));
    expect(() => db.prepare(`INSERT INTO label_events (image_id, at, label_state, source) VALUES (999, 'x', 'normal', 'user')`).run()).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it('applies only the migrations a catalog lacks, in order', async () => {
    const file = path.join(await tempDir(), 'c.sqlite');
    openCatalog(file, { create: true, migrations: MIGRATIONS.slice(0, 1) }).close();
    const next = [...MIGRATIONS, { version: LATEST_SCHEMA_VERSION + 1, description: 'test', sql: 'CREATE TABLE extra (x INTEGER) STRICT;' }];
    const db = openCatalog(file, { migrations: next });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION + 1);
    expect(db.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'extra'`).pluck().get()).toBe(1);
    db.close();
  });

  it('refuses a project written by a newer version, clearly, and leaves it byte-for-byte unchanged', async () => {
    const root = path.join(await tempDir(), 'p');
    const project = await Project.create(root);
    project.close();
    const catalog = path.join(root, 'project.sqlite');
    const raw = new Database(catalog);
    raw.pragma('journal_mode = DELETE');
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
    raw.close();
    const before = await readFile(catalog);
    const error = await Project.open(root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProjectError);
    expect((error as ProjectError).code).toBe('project-too-new');
    expect((error as Error).message).toMatch(/newer Defect Workbench .* Update the workbench/);
    expect(await readFile(catalog)).toEqual(before);
  });

  it('says what to do when a folder is not a project', async () => {
    const dir = await tempDir();
    await expect(Project.open(dir)).rejects.toThrow(/not a Defect Workbench project .*dwb init/);
  });

  it('refuses to create a project over a non-empty folder or an existing project', async () => {
    const root = path.join(await tempDir(), 'p');
    (await Project.create(root)).close();
    await expect(Project.create(root)).rejects.toThrow(/already a Defect Workbench project/);
    await expect(Project.create(path.dirname(root))).rejects.toThrow(/not empty/);
  });
});
