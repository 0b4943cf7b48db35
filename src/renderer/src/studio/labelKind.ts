// Label strength as the grid and the viewer show it.
import type { ImageSummary } from '../../../shared/api';
import type { LabelKind } from '../../../shared/domain';

export function kindOfSummary(image: Pick<ImageSummary, 'labelState' | 'hasMask'>): LabelKind {
  if (image.labelState === 'anomalous') return image.hasMask ? 'full' : 'weak';
  return image.labelState;
}

export const KIND_COLORS: Record<LabelKind, string> = { unlabeled: '#757575', normal: '#2e7d32', weak: '#ef6c00', full: '#c62828' };

export const KIND_HELP: Record<LabelKind, string> = {
  unlabeled: 'not labelled yet; training does not use it',
  normal: 'defect-free',
  weak: 'anomalous, image-level label only (no mask)',
  full: 'anomalous with a pixel mask',
};
