import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { Project } from '../../src/main/store/project.js';
import type { ImportProgress } from '../../src/shared/domain.js';
import { writeSurface } from '../helpers/images.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

async function dataset(count: number): Promise<string> {
  const src = path.join(await tempDir(), 'src');
  await Promise.all(Array.from({ length: count }, (_, i) => writeSurface(path.join(src, `${String(i).padStart(4, '0')}.png`), { seed: i, width: 256, height: 256 })));
  return src;
}

describe('import progress and cancel', () => {
  it('reports counts, rate and ETA while it runs, and a final event', async () => {
    const src = await dataset(200);
    const project = await Project.create(path.join(path.dirname(src), 'p'));
    const events: ImportProgress[] = [];
    const report = await runImport(project, await planImport(src, 'flat'), { onProgress: (p) => events.push(p) });
    expect(report.imported).toBe(200);
    const importing = events.filter((e) => e.phase === 'importing');
    expect(importing.length).toBeGreaterThan(2);
    expect(importing.every((e) => e.total === 200)).toBe(true);
    // counts only grow
    for (let i = 1; i < importing.length; i++) expect(importing[i]!.processed).toBeGreaterThanOrEqual(importing[i - 1]!.processed);
    expect(importing.some((e) => e.etaSeconds !== null && e.etaSeconds > 0 && e.ratePerSecond! > 0)).toBe(true);
    expect(events.at(-1)).toMatchObject({ phase: 'done', processed: 200, imported: 200, skipped: 0 });
    project.close();
  });

  it('stops when cancelled, keeps what it imported consistent, and can be resumed', async () => {
    const src = await dataset(150);
    const project = await Project.create(path.join(path.dirname(src), 'p'));
    const controller = new AbortController();
    const report = await runImport(project, await planImport(src, 'flat'), {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.processed >= 20) controller.abort();
      },
    });
    expect(report.status).toBe('cancelled');
    expect(report.imported).toBeGreaterThanOrEqual(20);
    expect(report.imported).toBeLessThan(150);
    expect(project.images.count()).toBe(report.imported);
    const run = project.db.prepare('SELECT status FROM import_runs ORDER BY id DESC LIMIT 1').pluck().get();
    expect(run).toBe('cancelled');
    const rest = await runImport(project, await planImport(src, 'flat'));
    expect(rest).toMatchObject({ status: 'completed', imported: 150 - report.imported, duplicates: report.imported });
    project.close();
  });
});
