// The labelling studio's calls: image-level labels that never silently drop a mask, label history and restore,
// indexed masks edited one stroke at a time, the project's defect classes, and label import/export.
import type { LabelChange } from '../../shared/api.js';
import type { ImageRecord } from '../../shared/domain.js';
import { InputError } from '../../shared/errors.js';
import { encodeRuns } from '../../shared/labels.js';
import { exportLabels } from '../labels/exportLabels.js';
import { importLabels } from '../labels/importLabels.js';
import { maskLabelsOf } from '../labels/maskLabels.js';
import type { Project } from '../store/project.js';
import type { Handlers } from './dispatch.js';

type LabelChannel =
  | 'images.label'
  | 'images.history'
  | 'images.restore'
  | 'masks.get'
  | 'masks.apply'
  | 'classes.list'
  | 'classes.create'
  | 'classes.update'
  | 'classes.merge'
  | 'labels.import'
  | 'labels.export';

export interface LabelHandlerHost {
  current(): Project;
  /** The open project when it may be written (not after its catalog was found damaged). */
  writable(): Project;
  /** Announces that labels of the open project changed. */
  changed(project: Project): void;
}

function change(record: ImageRecord, previousEventId: number | null | undefined): LabelChange {
  return { ...record, previousEventId: previousEventId ?? null };
}

export function labelHandlers(host: LabelHandlerHost): Pick<Handlers, LabelChannel> {
  const withChange = async <T>(work: (project: Project) => Promise<T>): Promise<T> => {
    const project = host.writable();
    const result = await work(project);
    host.changed(project);
    return result;
  };
  const image = (project: Project, id: number) => {
    const found = project.images.get(id);
    if (!found) throw new InputError('image-not-found', `there is no image with id ${id} in this project`);
    return found;
  };
  const handlers: { [C in LabelChannel]: Handlers[C] } = {
    'images.label': ({ id, labelState, defectClass, dropMask }) =>
      withChange(async (project) => {
        const before = image(project, id);
        // a pixel mask is ground truth someone drew: an image-level label that would drop it must be confirmed
        if (before.maskSha256 && labelState !== 'anomalous' && !dropMask) {
          const area = project.images.mask(before.maskSha256)?.area ?? 0;
          throw new InputError(
            'would-drop-mask',
            `image ${id} has a pixel mask (${area} defect pixels); labelling it ${labelState} would drop the mask. Confirm to drop it (it stays in the label history and can be restored)`,
          );
        }
        const keep = labelState === 'anomalous' && before.maskSha256 !== null;
        const mask = keep ? project.images.mask(before.maskSha256!) : undefined;
        const classMask = keep && before.classMaskSha256 ? project.images.classMask(before.classMaskSha256) : undefined;
        const record = project.images.setLabel(
          id,
          { labelState, defectClass: labelState === 'anomalous' ? (defectClass ?? before.defectClass) : null },
          'user',
          mask,
          { classMask },
        );
        return change(record, before.labelEventId);
      }),
    'images.history': async ({ id }) => {
      const project = host.current();
      image(project, id);
      return project.images.history(id);
    },
    'images.restore': ({ id, eventId }) =>
      withChange(async (project) => {
        const before = image(project, id);
        return change(await maskLabelsOf(project).restore(id, eventId, 'user'), before.labelEventId);
      }),
    'masks.get': async ({ id }) => {
      const { mask, key } = await maskLabelsOf(host.current()).read(id);
      return { width: mask.width, height: mask.height, key, mask: { x: 0, y: 0, width: mask.width, height: mask.height, runs: encodeRuns(mask.pixels) } };
    },
    'masks.apply': ({ id, base, patch, whenEmpty }) =>
      withChange(async (project) => {
        const before = image(project, id);
        return change(await maskLabelsOf(project).applyRuns(id, patch, { base, whenEmpty, source: 'user' }), before.labelEventId);
      }),
    'classes.list': async () => host.current().classes.list(),
    'classes.create': ({ name, color }) => withChange(async (project) => project.classes.create(name, color)),
    'classes.update': ({ id, name, color }) =>
      withChange(async (project) => {
        if (name !== undefined) project.classes.rename(id, name);
        if (color !== undefined) project.classes.recolor(id, color);
        return project.classes.byId(id)!;
      }),
    'classes.merge': ({ from, into }) => withChange((project) => maskLabelsOf(project).mergeClasses(from, into)),
    'labels.import': ({ source, format }) => withChange((project) => importLabels(project, source, format ? { format } : {})),
    'labels.export': async ({ out, format }) => exportLabels(host.current(), out, format),
  };
  return handlers;
}


