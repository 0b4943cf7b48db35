// Paths typed by a person in the app. "~" means their home folder; a relative path is taken from the home folder
// too (the app's own working folder means nothing to them), and every error names the full path it looked at.
import os from 'node:os';
import path from 'node:path';

export function resolveUserPath(typed: string, home = os.homedir()): string {
  const trimmed = typed.trim();
  if (trimmed === '~') return home;
  if (trimmed.startsWith('~/') || trimmed.startsWith('~\\')) return path.resolve(home, trimmed.slice(2));
  return path.resolve(home, trimmed);
}
