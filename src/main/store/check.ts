// `dwb check` and the app's project health panel: the catalog's integrity (SQLite's integrity and foreign-key
// checks), every catalogued image and mask hashed against its name, every thumbnail present, and the leftovers of
// killed processes. With repair: thumbnails are made again, an image whose original still sits where it was
// imported from (with the same hash) is copied back, leftovers and orphan files are removed, interrupted import
// runs are marked. A damaged catalog is never written to; it can only be restored from a copy.
import { copyFile, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { CheckProblem, ProjectCheckReport } from '../../shared/api.js';
import type { ImageFormat } from '../../shared/domain.js';
import { ProjectError } from '../../shared/errors.js';
import { temporaryName } from '../fs/atomicFile.js';
import { writeThumbnail } from '../images/thumbnail.js';
import { BLOB_PROBLEM_TEXT, BlobStore, hashFile, type BlobProblem } from './blobStore.js';
import { hasTable, openCatalog, type Catalog } from './catalog.js';
import { interruptedRuns, maskFilesQuery, markInterrupted, orphanBlobs, partialFiles } from './leftovers.js';
import { GRAPH_EXTENSION, MAP_EXTENSION, PARAMETERS_EXTENSION } from './modelVersions.js';
import { FILE_EXTENSION } from './project.js';
import { projectLayout, type ProjectLayout } from './projectLayout.js';

export interface CheckOptions {
  repair?: boolean;
  /** Files hashed at once. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

interface ImageRow {
  id: number;
  sha256: string;
  format: ImageFormat;
  file_size: number;
  source_path: string;
}

export async function checkProject(root: string, options: CheckOptions = {}): Promise<ProjectCheckReport> {
  const started = performance.now();
  const layout = projectLayout(root);
  const repair = options.repair ?? false;
  const problems: CheckProblem[] = [];
  const catalogProblem = (kind: CheckProblem['kind'], message: string) =>
    problems.push({ kind, path: layout.catalog, message, repaired: false });

  if (!(await stat(layout.catalog).catch(() => null)) && !(await stat(layout.images).catch(() => null))) {
    throw new ProjectError('not-a-project', `${layout.root} is not a Defect Workbench project (no project.sqlite and no images/ in it)`);
  }

  // the catalog: read-only, and past the open-time refusal, so a damaged one is described rather than refused
  let db: Catalog | null = null;
  try {
    db = new Database(layout.catalog, { readonly: true, fileMustExist: true });
    // integrity_check also compares every index with its table; where damage stops it, quick_check still lists pages
    let integrity: string[];
    try {
      integrity = (db.pragma('integrity_check(50)') as { integrity_check: string }[]).map((r) => r.integrity_check);
    } catch {
      integrity = (db.pragma('quick_check(50)') as { quick_check: string }[]).map((r) => r.quick_check);
    }
    if (!(integrity.length === 1 && integrity[0] === 'ok')) {
      const tables = new Map<number, string>();
      try {
        for (const r of db.prepare('SELECT rootpage, name FROM sqlite_master').all() as { rootpage: number; name: string }[]) tables.set(r.rootpage, r.name);
      } catch {
        // the schema itself is unreadable: the tree numbers stay as they are
      }
      for (const line of integrity) {
        const text = line.replace(/\*\*\* in database main \*\*\*\s*/g, '').replace(/\s*\n\s*/g, ' ').replace(/Tree (\d+)/g, (all, n: string) => (tables.has(Number(n)) ? `${all} (${tables.get(Number(n))})` : all));
        catalogProblem('catalog-damaged', `SQLite's integrity check: ${text}`);
      }
    }
    const keys = db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
    for (const k of keys.slice(0, 50)) catalogProblem('catalog-foreign-key', `row ${k.rowid} of ${k.table} names a ${k.parent} row that does not exist`);
  } catch (error) {
    catalogProblem('catalog-damaged', `SQLite cannot read the catalog: ${(error as Error).message}`);
  }
  const catalogOk = problems.length === 0;
  if (!catalogOk) {
    problems.forEach((p) => (p.message += '; restore project.sqlite from a backup copy of the project'));
  }

  let images: ImageRow[] = [];
  let masks: string[] = [];
  let rowsReadable = db !== null;
  try {
    if (db) {
      images = db.prepare('SELECT id, sha256, format, file_size, source_path FROM images ORDER BY id').all() as ImageRow[];
      masks = db.prepare(maskFilesQuery(db)).pluck().all() as string[];
    }
  } catch (error) {
    rowsReadable = false;
    catalogProblem('catalog-damaged', `the list of images cannot be read from the catalog (${(error as Error).message}); restore project.sqlite from a backup copy`);
  }

  const imageStore = new BlobStore(layout.images);
  const maskStore = new BlobStore(layout.masks);
  let done = 0;
  let filesHashed = 0;

  if (!rowsReadable) {
    // without the catalog's rows, the files still carry their hashes in their names: check them on their own, so
    // a restored catalog can be trusted to find intact files
    const files = [...(await storeFiles(layout.images)), ...(await storeFiles(layout.masks))];
    await inParallel(files, options.concurrency ?? 4, async (file) => {
      const actual = await hashFile(file.path).catch(() => null);
      filesHashed++;
      options.onProgress?.(++done, files.length);
      if (actual?.sha256 === file.sha256) return;
      problems.push({
        kind: file.store === layout.images ? 'image-damaged' : 'mask-damaged',
        path: file.path,
        message: `the stored file ${path.relative(layout.root, file.path)} ${actual ? BLOB_PROBLEM_TEXT['wrong-hash'] : 'cannot be read'}: restore it from a backup copy of the project`,
        repaired: false,
      });
    });
  }

  const total = images.length + masks.length;
  const tick = () => options.onProgress?.(++done, total);

  await inParallel(images, options.concurrency ?? 4, async (image) => {
    const extension = FILE_EXTENSION[image.format];
    const file = imageStore.pathFor(image.sha256, extension);
    let problem = await imageStore.verify(image.sha256, extension, image.file_size);
    filesHashed++;
    if (problem) {
      const restored = repair && (await restoreFromSource(imageStore, image, extension, problem));
      problems.push({
        kind: problem === 'missing' ? 'image-missing' : 'image-damaged',
        path: file,
        imageId: image.id,
        message: restored
          ? `the file of image ${image.id} ${BLOB_PROBLEM_TEXT[problem]}; it was restored from its original ${image.source_path}`
          : `the file of image ${image.id} ${BLOB_PROBLEM_TEXT[problem]}: restore it from a backup copy of the project${repair ? ` (its original ${image.source_path} is gone or changed too)` : `, or run with --repair to copy it back from its original ${image.source_path} if that is unchanged`}`,
        repaired: restored,
      });
      if (restored) problem = null;
    }
    const thumbnail = path.join(layout.thumbnails, image.sha256.slice(0, 2), `${image.sha256}.jpg`);
    const thumbProblem = await thumbnailProblem(thumbnail);
    if (thumbProblem) {
      let remade = false;
      if (repair && !problem) {
        await rm(thumbnail, { recursive: true, force: true });
        remade = await writeThumbnail(file, image.format, thumbnail).then(() => true, () => false);
      }
      problems.push({
        kind: thumbProblem === 'missing' ? 'thumbnail-missing' : 'thumbnail-damaged',
        path: thumbnail,
        imageId: image.id,
        message: remade
          ? `the thumbnail of image ${image.id} ${BLOB_PROBLEM_TEXT[thumbProblem]}; it was made again`
          : `the thumbnail of image ${image.id} ${BLOB_PROBLEM_TEXT[thumbProblem]}: ${problem ? 'it can be made again once the image is restored' : 'run with --repair to make it again'}`,
        repaired: remade,
      });
    }
    tick();
  });

  await inParallel(masks, options.concurrency ?? 4, async (sha256) => {
    const problem = await maskStore.verify(sha256, 'png');
    filesHashed++;
    if (problem) {
      problems.push({
        kind: problem === 'missing' ? 'mask-missing' : 'mask-damaged',
        path: maskStore.pathFor(sha256, 'png'),
        message: `the mask file ${sha256.slice(0, 12)}… ${BLOB_PROBLEM_TEXT[problem]}: restore it from a backup copy of the project, or redraw the masks of the images that use it`,
        repaired: false,
      });
    }
    tick();
  });

  // the model versions' files and their evaluations' maps: a damaged one is reported with the version that needs it
  let modelFiles: NamedModelFile[] = [];
  try {
    if (db && rowsReadable) modelFiles = namedModelFiles(db, layout.root);
  } catch (error) {
    catalogProblem('catalog-damaged', `the model versions cannot be read from the catalog (${(error as Error).message}); restore project.sqlite from a backup copy`);
  }
  const stores = { models: new BlobStore(layout.models), maps: new BlobStore(layout.maps) };
  await inParallel(modelFiles, options.concurrency ?? 4, async (file) => {
    const store = stores[file.store];
    const problem = await store.verify(file.sha256, file.extension);
    filesHashed++;
    if (!problem) return;
    problems.push({
      kind: `${file.store === 'models' ? 'model-file' : 'map'}-${problem === 'missing' ? 'missing' : 'damaged'}`,
      path: store.pathFor(file.sha256, file.extension),
      message: `${file.what} ${BLOB_PROBLEM_TEXT[problem]}: ${file.remedy}`,
      repaired: false,
    });
  });

  if (db) {
    try {
      for (const leftover of await orphanBlobs(layout, db, true)) {
        const removed = repair && (await rm(leftover.path, { force: true }).then(() => true, () => false));
        problems.push({
          kind: 'orphan-file',
          path: leftover.path,
          message: removed
            ? 'a file no catalog row names (left by an interrupted import, training or evaluation); removed'
            : 'a file no catalog row names (left by an interrupted import, training or evaluation): run with --repair to remove it',
          repaired: removed,
        });
      }
      const runs = interruptedRuns(db);
      if (runs.length && repair && catalogOk) withWriter(layout, (writer) => markInterrupted(writer, runs));
      for (const run of runs) {
        problems.push({
          kind: 'import-interrupted',
          path: run.source,
          message: `the import from ${run.source} started ${run.startedAt} was interrupted: run it again to finish it${repair && catalogOk ? ' (now marked as interrupted)' : ''}`,
          repaired: repair && catalogOk,
        });
      }
    } catch (error) {
      if (catalogOk) throw error;
    }
  }
  for (const leftover of await partialFiles(layout)) {
    const removed = repair && (await rm(leftover.path, { force: true }).then(() => true, () => false));
    problems.push({
      kind: 'partial-file',
      path: leftover.path,
      message: removed ? 'a partial file of a process that was killed; removed' : 'a partial file of a process that was killed: run with --repair to remove it',
      repaired: removed,
    });
  }
  db?.close();

  return {
    root: layout.root,
    ok: problems.every((p) => p.repaired),
    repair,
    catalogOk,
    rowsReadable,
    images: images.length,
    masks: masks.length,
    filesHashed,
    problems,
    elapsedSeconds: (performance.now() - started) / 1000,
  };
}

interface NamedModelFile {
  store: 'models' | 'maps';
  sha256: string;
  extension: string;
  /** What the file is, for the message: "the inference graph of model v3". */
  what: string;
  /** What to do when it is missing or damaged. */
  remedy: string;
}

/** The files of the model and map stores that rows name, each once (versions share backbones, evaluations maps). */
function namedModelFiles(db: Catalog, root: string): NamedModelFile[] {
  const files = new Map<string, NamedModelFile>();
  const add = (file: NamedModelFile) => files.has(`${file.store}/${file.sha256}`) || files.set(`${file.store}/${file.sha256}`, file);
  if (hasTable(db, 'model_versions')) {
    const versions = db.prepare('SELECT id, graph_sha256, parameters_sha256, backbone_sha256, backbone_name FROM model_versions ORDER BY id').all() as {
      id: number;
      graph_sha256: string;
      parameters_sha256: string;
      backbone_sha256: string;
      backbone_name: string;
    }[];
    for (const v of versions) {
      const remedy = `restore it from a backup copy of the project, or delete model v${v.id} (dwb models delete v${v.id} --project ${root}) and train again`;
      add({ store: 'models', sha256: v.graph_sha256, extension: GRAPH_EXTENSION, what: `the inference graph of model v${v.id}`, remedy });
      add({ store: 'models', sha256: v.parameters_sha256, extension: PARAMETERS_EXTENSION, what: `the parameters of model v${v.id}`, remedy });
      add({
        store: 'models', sha256: v.backbone_sha256, extension: GRAPH_EXTENSION,
        what: `the project's copy of backbone ${v.backbone_name} (model v${v.id})`,
        remedy: 'restore it from a backup copy of the project; the versions trained on it cannot run without it',
      });
    }
  }
  if (hasTable(db, 'evaluation_images')) {
    const maps = db
      .prepare('SELECT DISTINCT m.map_sha256 AS sha256, e.version_id AS versionId, e.split FROM evaluation_images m JOIN evaluations e ON e.id = m.evaluation_id ORDER BY e.version_id')
      .all() as { sha256: string; versionId: number; split: string }[];
    for (const m of maps) {
      add({
        store: 'maps', sha256: m.sha256, extension: MAP_EXTENSION,
        what: `an anomaly map of model v${m.versionId}'s ${m.split} evaluation`,
        remedy: `evaluate again to make it anew (dwb eval --project ${root} --model v${m.versionId} --split ${m.split})`,
      });
    }
  }
  return [...files.values()];
}

/** Every blob file in a store, with the hash its name promises. */
async function storeFiles(store: string): Promise<{ store: string; path: string; sha256: string }[]> {
  const found: { store: string; path: string; sha256: string }[] = [];
  for (const shard of await readdir(store).catch(() => [] as string[])) {
    if (!/^[0-9a-f]{2}$/.test(shard)) continue;
    for (const name of await readdir(path.join(store, shard)).catch(() => [] as string[])) {
      const sha256 = /^([0-9a-f]{64})\.[a-z]+$/.exec(name)?.[1];
      if (sha256) found.push({ store, path: path.join(store, shard, name), sha256 });
    }
  }
  return found;
}

/** A thumbnail is derived data, so it is checked only for being a non-empty JPEG. */
async function thumbnailProblem(file: string): Promise<BlobProblem | null> {
  const info = await stat(file).catch(() => null);
  if (!info) return 'missing';
  if (!info.isFile()) return 'not-a-file';
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(3);
    await handle.read(head, 0, 3, 0);
    return info.size > 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff ? null : 'wrong-size';
  } finally {
    await handle.close();
  }
}

/** Copies an image back from where it was imported, only if that file still has the catalogued hash. */
async function restoreFromSource(store: BlobStore, image: ImageRow, extension: string, problem: BlobProblem): Promise<boolean> {
  const original = await hashFile(image.source_path).catch(() => null);
  if (!original || original.sha256 !== image.sha256) return false;
  const target = store.pathFor(image.sha256, extension);
  const temp = path.join(path.dirname(target), temporaryName('.'));
  try {
    await copyFile(image.source_path, temp);
    if (problem !== 'missing') await rm(target, { recursive: true, force: true });
    await rename(temp, target);
  } catch {
    await rm(temp, { force: true });
    return false;
  }
  return (await store.verify(image.sha256, extension, image.file_size)) === null;
}

function withWriter(layout: ProjectLayout, write: (db: Catalog) => void): void {
  const writer = openCatalog(layout.catalog);
  try {
    write(writer);
  } finally {
    writer.close();
  }
}

async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}
