// The folder browser behind browser mode's Browse button: the sub-folders of one folder, only those this user may
// open and read, so the page can walk the disk no further than the user could in a terminal.
import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FolderListing } from '../../shared/api.js';
import { InputError } from '../../shared/errors.js';
import { CATALOG_FILE } from '../store/projectLayout.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff']);
const MAX_ENTRIES = 2000;

const readable = (dir: string) => access(dir, constants.R_OK | constants.X_OK).then(() => true, () => false);

/** The sub-folders of `dir`; with `fileExtensions` (lower case, no dot), also its files of those kinds. */
export async function listFolder(dir: string, fileExtensions?: readonly string[]): Promise<FolderListing> {
  const info = await stat(dir).catch(() => null);
  if (!info) throw new InputError('folder-missing', `${dir} does not exist`);
  if (!info.isDirectory()) throw new InputError('not-a-folder', `${dir} is a file, not a folder`);
  if (!(await readable(dir))) throw new InputError('folder-unreadable', `${dir} cannot be read by this user`);
  const entries = await readdir(dir, { withFileTypes: true });
  const folders: FolderListing['folders'] = [];
  const wanted = fileExtensions ? new Set(fileExtensions.map((e) => `.${e}`)) : null;
  const files: NonNullable<FolderListing['files']> = [];
  let images = 0;
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isFile() && IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) images++;
    if (wanted && entry.isFile() && wanted.has(path.extname(entry.name).toLowerCase()) && files.length < MAX_ENTRIES) files.push({ name: entry.name, path: path.join(dir, entry.name) });
    if (!entry.isDirectory() || folders.length >= MAX_ENTRIES) continue;
    const full = path.join(dir, entry.name);
    if (!(await readable(full))) continue;
    const isProject = await stat(path.join(full, CATALOG_FILE)).then((s) => s.isFile(), () => false);
    folders.push({ name: entry.name, path: full, isProject });
  }
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name, undefined, { numeric: true });
  folders.sort(byName);
  files.sort(byName);
  const parent = path.dirname(dir);
  return {
    dir,
    parent: parent === dir ? null : parent,
    folders,
    images,
    isProject: await stat(path.join(dir, CATALOG_FILE)).then((s) => s.isFile(), () => false),
    ...(wanted ? { files } : {}),
  };
}
