// Backbones a user can pick: the shipped ImageNet feature extractors (DWB_MODELS, default ../shared/models beside
// the workbench's folder) and any already copied into the open project by an earlier training run.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackboneChoice } from '../../../shared/api.js';
import type { Project } from '../../store/project.js';

/** The workbench's own folder (the one holding package.json), from this module's place in src/ or out/node/. */
function appRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const parts = here.split(path.sep);
  const at = Math.max(parts.lastIndexOf('src'), parts.lastIndexOf('out'));
  return at > 0 ? parts.slice(0, at).join(path.sep) : here;
}

export function shippedBackboneDir(): string {
  return path.resolve(appRoot(), process.env.DWB_MODELS ?? '../shared/models');
}

async function onnxFiles(dir: string): Promise<{ name: string; path: string; sizeBytes: number }[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const files = [];
  for (const name of names.filter((n) => n.endsWith('.onnx')).sort()) {
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => null);
    if (info?.isFile()) files.push({ name, path: file, sizeBytes: info.size });
  }
  return files;
}

export async function backboneChoices(project: Project | null): Promise<BackboneChoice[]> {
  const shipped = (await onnxFiles(shippedBackboneDir())).map((f) => ({ ...f, origin: 'shipped' as const }));
  if (!project) return shipped;
  const stored = project.db
    .prepare('SELECT backbone_sha256 AS sha256, backbone_name AS name FROM model_versions GROUP BY backbone_sha256')
    .all() as { sha256: string; name: string }[];
  const inProject: BackboneChoice[] = [];
  for (const { sha256, name } of stored) {
    const file = project.models.backbonePath(sha256);
    const info = await stat(file).catch(() => null);
    if (info && !shipped.some((s) => s.name === name)) inProject.push({ name, path: file, sizeBytes: info.size, origin: 'project' });
  }
  return [...shipped, ...inProject];
}
