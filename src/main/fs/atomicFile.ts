// Files that a reader, or a process killed mid-write, must find whole or not at all: written beside their place under
// a temporary name that carries the writer's process id (so a leftover of a dead writer is told from a live one's
// work), then renamed over it, which is atomic within one folder.
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/** A temporary file name that carries this process's id. */
export function temporaryName(prefix = ''): string {
  return `${prefix}${process.pid}-${randomBytes(6).toString('hex')}.part`;
}

/** The process id a temporary name was made with (temporaryName, after any prefix), or null for another name. */
export function temporaryWriter(name: string): number | null {
  const pid = Number(/(?:^|\.)(\d+)-[0-9a-f]+\.part$/.exec(name)?.[1]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Replaces `file` with `data` in one step. `sync` flushes the bytes to the disk before the rename, for a file that
 * must also survive a power cut (a checkpoint), not only a killed process.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: { sync?: boolean } = {}): Promise<void> {
  const temp = path.join(path.dirname(file), temporaryName(`.${path.basename(file)}.`));
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      if (options.sync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
