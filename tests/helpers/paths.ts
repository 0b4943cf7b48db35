import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DWB = path.join(PROJECT_ROOT, 'bin/dwb.js');

/** The shared real datasets (MVTec layout), found through DWB_DATASETS; default ../shared/datasets. */
export const DATASETS = path.resolve(PROJECT_ROOT, process.env.DWB_DATASETS ?? '../shared/datasets');

/**
 * Whether the real datasets are present. On CI they must be: a missing folder fails there instead of skipping
 * the tests that need it.
 */
export function datasetsAvailable(): boolean {
  const present = existsSync(path.join(DATASETS, 'mvtec_bottle')) && existsSync(path.join(DATASETS, 'magnetic_tile'));
  if (!present && process.env.CI) throw new Error(`the datasets are missing at ${DATASETS}; set DWB_DATASETS to their folder`);
  if (!present) console.warn(`datasets not found at ${DATASETS} (set DWB_DATASETS): the tests on real datasets are skipped`);
  return present;
}

/** A fresh temporary folder, removed after the current test. */
export function useTempDirs(): () => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dwb-test-'));
    made.push(dir);
    return dir;
  };
}
