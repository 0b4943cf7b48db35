// Vitest's global setup: the whole run, and every app or CLI process it starts, keeps its settings (the recent
// projects list) in a folder of its own, never in the developer's ~/.config/defect-workbench, whose list of twelve
// would otherwise fill with the tests' temporary projects and push the real ones out of sight.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dwb-settings-'));
  process.env.DWB_HOME = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
