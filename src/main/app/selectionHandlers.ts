// Calls on several images at once, as picked in the grid: an image-level label for all of them, or a move to a
// split that stays (pinned) through re-imports and validation re-splits. All or none, in one transaction each.
import type { LabelState } from '../../shared/domain.js';
import { InputError } from '../../shared/errors.js';
import type { Project } from '../store/project.js';
import type { Handlers } from './dispatch.js';

interface Context {
  current(): Project;
  changed(project: Project): void;
}

export function selectionHandlers(ctx: Context): Pick<Handlers, 'images.labelMany' | 'images.setSplit'> {
  return {
    'images.labelMany': async ({ ids, labelState, defectClass }) => {
      const project = ctx.current();
      project.db.transaction(() => {
        for (const id of ids) relabel(project, id, labelState, defectClass);
      })();
      ctx.changed(project);
      return { updated: ids.length };
    },
    'images.setSplit': async ({ ids, split }) => {
      const project = ctx.current();
      const missing = ids.filter((id) => !project.images.get(id));
      if (missing.length) throw new InputError('image-not-found', `there is no image with id ${missing.slice(0, 5).join(', ')} in this project`);
      const updated = project.images.pinSplit(ids, split);
      ctx.changed(project);
      return { updated };
    },
  };
}

/**
 * An image-level relabel by a person. A pixel mask is ground truth someone drew: a label that would drop it is
 * refused here (the single-image call asks the user first), and an image that stays anomalous keeps its binary and
 * its per-class mask.
 */
function relabel(project: Project, id: number, labelState: LabelState, defectClass: string | null | undefined): void {
  const before = project.images.get(id);
  if (!before) throw new InputError('image-not-found', `there is no image with id ${id} in this project`);
  if (before.maskSha256 && labelState !== 'anomalous') {
    throw new InputError(
      'would-drop-mask',
      `image ${id} (${before.originalName}) has a pixel mask; labelling it ${labelState} would drop the mask. Nothing was changed: leave the images with masks out of the selection, or label them one at a time (the app asks before it drops a mask)`,
    );
  }
  const keep = labelState === 'anomalous' && before.maskSha256 !== null;
  const mask = keep ? project.images.mask(before.maskSha256!) : undefined;
  const classMask = keep && before.classMaskSha256 ? project.images.classMask(before.classMaskSha256) : undefined;
  project.images.setLabel(id, { labelState, defectClass: labelState === 'anomalous' ? (defectClass ?? before.defectClass) : null }, 'user', mask, { classMask });
}
