// The same app in the Electron window, where an Electron binary exists. Offline installs (this machine, CI) have
// none: Electron's binary download needs the internet, so the suite says so and skips.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/paths.js';

function electronBinary(): string | null {
  try {
    const found = createRequire(path.join(PROJECT_ROOT, 'package.json'))('electron') as unknown;
    return typeof found === 'string' && existsSync(found) ? found : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
if (!binary) console.warn('Electron is not installed here (its binary download needs the internet): the Electron end-to-end test is skipped');

describe.skipIf(!binary)('Electron shell', () => {
  it('opens the workbench window with the first-run screen, through the preload API only', async () => {
    const { _electron } = await import('playwright-core');
    const app = await _electron.launch({ executablePath: binary!, args: [path.join(PROJECT_ROOT, 'out/main/index.js')] });
    const window = await app.firstWindow();
    await window.getByText('Try the demo project').waitFor();
    expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
    expect(await window.evaluate(() => typeof (globalThis as { dwb?: { call?: unknown } }).dwb?.call)).toBe('function');
    await app.close();
  });
});
