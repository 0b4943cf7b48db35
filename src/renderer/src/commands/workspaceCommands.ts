// The workspace's commands: labelling, moving through images, opening and closing the viewer, zoom.
import type { LabelState } from '../../../shared/domain';
import type { Command } from './registry';

export interface WorkspaceActions {
  label(state: LabelState): void;
  move(delta: number): void;
  moveRow(delta: number): void;
  openViewer(): void;
  closeViewer(): void;
  clearPicks(): void;
  fit(): void;
  actualSize(): void;
}

export const WORKSPACE_COMMANDS: readonly Command<WorkspaceActions>[] = [
  { id: 'label.normal', label: 'Label normal', keys: ['n'], when: ['grid', 'viewer'], run: (a) => a.label('normal') },
  { id: 'label.anomalous', label: 'Label anomalous', keys: ['a'], when: ['grid', 'viewer'], run: (a) => a.label('anomalous') },
  { id: 'label.unlabeled', label: 'Clear the label', keys: ['u'], when: ['grid', 'viewer'], run: (a) => a.label('unlabeled') },
  { id: 'image.next', label: 'Next image', keys: ['ArrowRight'], when: ['grid', 'viewer'], run: (a) => a.move(1) },
  { id: 'image.previous', label: 'Previous image', keys: ['ArrowLeft'], when: ['grid', 'viewer'], run: (a) => a.move(-1) },
  { id: 'image.down', label: 'Image below', keys: ['ArrowDown'], when: ['grid'], run: (a) => a.moveRow(1) },
  { id: 'image.up', label: 'Image above', keys: ['ArrowUp'], when: ['grid'], run: (a) => a.moveRow(-1) },
  { id: 'viewer.open', label: 'Open in the viewer', keys: ['Enter', ' '], when: ['grid'], run: (a) => a.openViewer() },
  { id: 'viewer.close', label: 'Back to the grid', keys: ['Escape'], when: ['viewer'], run: (a) => a.closeViewer() },
  { id: 'selection.clear', label: 'Unpick the picked images (Ctrl/Shift+click picks)', keys: ['Escape'], when: ['grid'], run: (a) => a.clearPicks() },
  { id: 'viewer.fit', label: 'Fit to window', keys: ['f'], when: ['viewer'], run: (a) => a.fit() },
  { id: 'viewer.actualSize', label: 'Actual size (100%)', keys: ['1'], when: ['viewer'], run: (a) => a.actualSize() },
];
