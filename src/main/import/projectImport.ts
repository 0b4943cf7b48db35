// Planning an import into a given project: never from the project's own folder (its stores would come back in as
// new images), and when the project lives inside the source folder, its files are left out and said so.
import path from 'node:path';
import type { ImportLayout } from '../../shared/domain.js';
import { InputError } from '../../shared/errors.js';
import type { Project } from '../store/project.js';
import { planImport, type ImportPlan } from './sources.js';

export function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

export async function planProjectImport(project: Project, source: string, layout?: ImportLayout): Promise<ImportPlan> {
  const from = path.resolve(source);
  const own = project.layout.root;
  if (isInside(from, own)) {
    throw new InputError(
      'import-own-folder',
      `${from} is the project's own folder${from === own ? '' : ' (or inside it)'}; import from the folder that holds your images`,
    );
  }
  const plan = await planImport(from, layout);
  if (isInside(own, from)) {
    const reason = "inside the project's own folder; not imported";
    const [inside, outside] = [plan.items.filter((i) => isInside(i.path, own)), plan.items.filter((i) => !isInside(i.path, own))];
    plan.items = outside;
    plan.skipped.push(...inside.map((i) => ({ path: i.path, reason })));
    plan.ignored = plan.ignored.filter((i) => !isInside(i.path, own));
  }
  return plan;
}
