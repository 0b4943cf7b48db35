// npm start: the desktop window where Electron is installed; elsewhere (Electron's binary download needs the
// internet, so offline installs have none) the same app in browser mode, served on 127.0.0.1.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let electronBinary = null;
try {
  const found = require('electron');
  if (typeof found === 'string' && existsSync(found)) electronBinary = found;
} catch {
  electronBinary = null;
}

const [command, args] = electronBinary
  ? [process.execPath, [require.resolve('electron-vite/bin/electron-vite.js'), 'dev']]
  : [process.execPath, ['bin/dwb.js', 'serve', ...process.argv.slice(2)]];
if (!electronBinary) process.stdout.write('Electron is not installed here; starting browser mode.\n');
const child = spawn(command, args, { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 1));
process.on('SIGINT', () => child.kill('SIGINT'));
