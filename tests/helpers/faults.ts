// Real faults for tests: a small tmpfs that fills up or turns read-only (mounted only where this process may mount,
// i.e. as root; elsewhere those tests are skipped with a warning and tests/faults/injected.test.ts covers the same
// paths with injected faults), catalog damage by
// bytes written over a page, and a CLI run with a deadline so a hang fails the test instead of stalling it.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, writeSync } from 'node:fs';
import os from 'node:os';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import type { CliResult } from './cli.js';
import { DWB } from './paths.js';

function unmount(dir: string): void {
  try {
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

/**
 * Mounts a tmpfs of `kib` KiB on a fresh folder of its own (outside the test's temporary folders, which are removed
 * before this is unmounted) and returns it; null where this process may not mount.
 */
export function mountSmallDisk(kib: number): string | null {
  if (process.getuid?.() !== 0) return null;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dwb-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmdirSync(dir);
    return null;
  }
  onTestFinished(() => {
    unmount(dir);
    rmdirSync(dir);
  });
  return dir;
}

export function remountReadOnly(dir: string): void {
  execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'ignore' });
}

/** Writes zeros into `file` until the disk is full; returns the bytes written. */
export function fillDisk(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(4096);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch {
    return written;
  } finally {
    closeSync(fd);
  }
}

/** Overwrites page `page` (1-based, 4096-byte pages) of an SQLite file with bytes from a fixed seed. */
export async function overwritePage(file: string, page: number, seed = 7): Promise<void> {
  const bytes = Buffer.alloc(4096);
  let x = seed;
  for (let i = 0; i < bytes.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    bytes[i] = x >> 16;
  }
  const handle = await open(file, 'r+');
  await handle.write(bytes, 0, bytes.length, (page - 1) * 4096);
  await handle.close();
}

/** Runs dwb and kills it after `ms`: a command that hangs gives code null and `timedOut`. */
export function dwbWithin(args: string[], ms: number): Promise<CliResult & { timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DWB, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), ms);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

export const catalogOf = (project: string) => path.join(project, 'project.sqlite');

export const NO_MOUNT_WARNING = 'cannot mount a tmpfs here (not root): this real-disk test is skipped; tests/faults/injected.test.ts covers the same path with an injected fault';
