// Recently opened projects, remembered in the user's settings folder ($DWB_HOME, else ~/.config/defect-workbench).
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { RecentProject } from '../../shared/api.js';
import { writeFileAtomic } from '../fs/atomicFile.js';

const MAX_RECENT = 12;
const fileSchema = z.array(z.object({ root: z.string(), name: z.string(), openedAt: z.string() }));

export function settingsDir(): string {
  return process.env.DWB_HOME ?? path.join(os.homedir(), '.config', 'defect-workbench');
}

export class RecentProjects {
  private readonly file: string;

  constructor(dir = settingsDir()) {
    this.file = path.join(dir, 'recent-projects.json');
  }

  async list(): Promise<RecentProject[]> {
    const stored = await this.read();
    return stored.map((p) => ({ ...p, exists: existsSync(path.join(p.root, 'project.sqlite')) }));
  }

  async remember(root: string, name: string): Promise<void> {
    const stored = (await this.read()).filter((p) => p.root !== root);
    stored.unshift({ root, name, openedAt: new Date().toISOString() });
    await mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify(stored.slice(0, MAX_RECENT), null, 2));
  }

  /** Takes a folder off the list (a project moved or deleted elsewhere); the folder is not touched. */
  async forget(root: string): Promise<void> {
    const stored = await this.read();
    const kept = stored.filter((p) => p.root !== root);
    if (kept.length === stored.length) return;
    await writeFileAtomic(this.file, JSON.stringify(kept, null, 2));
  }

  private async read(): Promise<z.infer<typeof fileSchema>> {
    try {
      return fileSchema.parse(JSON.parse(await readFile(this.file, 'utf8')));
    } catch {
      return []; // missing or unreadable: start a fresh list rather than fail the app
    }
  }
}
