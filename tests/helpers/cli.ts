import { spawn } from 'node:child_process';
import { DWB } from './paths.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real dwb command (the built CLI) in a child process. */
export function dwb(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DWB, ...args], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Parses stdout that must hold exactly one JSON object and nothing else. */
export function onlyJson(result: CliResult): any {
  const text = result.stdout.trim();
  expectSingleObject(text);
  return JSON.parse(text);
}

function expectSingleObject(text: string): void {
  if (!text.startsWith('{') || !text.endsWith('}')) throw new Error(`stdout is not one JSON object:\n${text.slice(0, 500)}`);
}
