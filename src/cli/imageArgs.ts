// Image arguments on the command line: files as given, a folder for the images directly in it.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './errors.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff']);

/** Absolute paths of the images named by `args`; `what` names the job in the error when there are none. */
export async function expandImageArgs(args: readonly string[], what: string): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    const info = await stat(arg).catch(() => null);
    if (!info) throw new UsageError(`${arg} does not exist; give image files or folders of images`);
    if (!info.isDirectory()) {
      files.push(path.resolve(arg));
      continue;
    }
    const names = (await readdir(arg)).filter((n) => IMAGE_EXTENSIONS.has(path.extname(n).toLowerCase())).sort();
    files.push(...names.map((n) => path.resolve(arg, n)));
  }
  if (files.length === 0) throw new UsageError(`no images to ${what}: give image files or folders that hold PNG, JPEG, BMP or TIFF files`);
  return files;
}
