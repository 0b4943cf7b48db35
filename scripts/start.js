// npm start: opens the Electron window where Electron is installed. Electron's binary download needs the internet,
// so offline installs (and CI) have none; there the app will run in browser mode once the app shell exists.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let electron = null;
try {
  electron = require('electron');
} catch {
  electron = null;
}
if (typeof electron === 'string') {
  const child = spawn(process.execPath, [require.resolve('electron-vite/bin/electron-vite.js'), 'dev'], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 1));
} else {
  process.stdout.write(
    [
      'Electron is not installed here (its binary download needs the internet; npm skipped it).',
      'The desktop window and browser mode come with the app shell. Until then, work with the dwb command line:',
      '  npx dwb init ~/inspection/my-line',
      '  npx dwb import <folder of images> --project ~/inspection/my-line',
      '  npx dwb stats --project ~/inspection/my-line',
      '',
    ].join('\n'),
  );
}
