#!/usr/bin/env node
// Entry point of the dwb command; the code lives in out/node (built by `npm install` through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../out/node/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('dwb: the workbench is not built yet; run "npm install" (or "npm run build:node") in its folder first\n');
  process.exit(1);
}
const { main } = await import(entry.href);
// exit explicitly once the command is done: work still parked in libuv's thread pool (a file-system call on a
// stuck network mount, say) must not keep a finished or cancelled command alive
process.exit(await main(process.argv.slice(2)));
