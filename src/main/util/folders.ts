// Creating folders on paths a user typed. Node's recursive mkdir spins forever, burning a core, where mkdir answers
// ENOENT for a parent that does exist (virtual file systems such as /proc/self/…), so folders are made one level
// at a time here, and every refusal says which folder and why.
import { mkdir, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { explained, faultCode, FaultError } from '../../shared/errors.js';

/**
 * Makes `dir` and its missing parents, outermost first. Returns the folders it created (outermost first), so a
 * failed job can remove exactly those and nothing else.
 */
export async function makeFolders(dir: string): Promise<string[]> {
  const target = path.resolve(dir);
  const missing: string[] = [];
  for (let current = target; ; current = path.dirname(current)) {
    const info = await stat(current).catch((error: unknown) => {
      if (faultCode(error) === 'ENOENT') return null;
      throw explained(error, { path: current });
    });
    if (info) {
      if (!info.isDirectory()) {
        throw new FaultError('enotdir', `${current} is a file, not a folder: choose a path whose folders are real folders`);
      }
      break;
    }
    missing.unshift(current);
    if (path.dirname(current) === current) break;
  }
  const created: string[] = [];
  for (const folder of missing) {
    try {
      await mkdir(folder);
      created.push(folder);
    } catch (error) {
      if (faultCode(error) === 'EEXIST' && (await stat(folder).catch(() => null))?.isDirectory()) continue;
      if (faultCode(error) === 'ENOENT') {
        await removeFolders(created);
        throw new FaultError(
          'cannot-create-folder',
          `${path.dirname(folder)} does not accept new folders (it is a system or virtual folder): choose a folder in your home directory or on a data disk`,
        );
      }
      await removeFolders(created);
      throw explained(error, { path: folder });
    }
  }
  return created;
}

/** Removes folders made by makeFolders, innermost first, and only while they are empty. */
export async function removeFolders(created: readonly string[]): Promise<void> {
  for (const folder of [...created].reverse()) await rmdir(folder).catch(() => undefined);
}
