// Wires the label session into a screen: records patch the listed images, errors show, and Ctrl+Z / Ctrl+Y undo
// and redo wherever the studio's own keys are not active (the grid).
import { useEffect } from 'react';
import type { ImageSummary } from '../../../../shared/api';
import { studioKeyName } from '../studioCommands';
import { labelSession } from './labelSession';

export function useLabelSession(options: {
  setItems(update: (items: ImageSummary[]) => ImageSummary[]): void;
  onError(message: string): void;
  /** Whether the grid (not the studio) has the keyboard. */
  gridKeys: boolean;
}): void {
  const { setItems, onError, gridKeys } = options;
  useEffect(
    () =>
      labelSession.onRecord((r) =>
        setItems((items) => items.map((it) => (it.id === r.id ? { ...it, labelState: r.labelState, defectClass: r.defectClass, hasMask: r.maskSha256 !== null } : it))),
      ),
    [setItems],
  );
  useEffect(() => labelSession.onError(onError), [onError]);
  // closing or reloading while strokes are still on their way to the store asks first
  useEffect(() => {
    const onLeave = (event: BeforeUnloadEvent) => {
      if (labelSession.pending > 0) event.preventDefault();
    };
    window.addEventListener('beforeunload', onLeave);
    return () => window.removeEventListener('beforeunload', onLeave);
  }, []);
  useEffect(() => {
    if (!gridKeys) return;
    const onKey = (event: KeyboardEvent) => {
      if ((event.target as HTMLElement | null)?.closest('input, textarea, [role="dialog"]')) return;
      const name = studioKeyName(event);
      if (name === 'Ctrl+z') labelSession.undo();
      else if (name === 'Ctrl+Shift+z' || name === 'Ctrl+y') labelSession.redo();
      else return;
      event.preventDefault();
      event.stopImmediatePropagation();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [gridKeys]);
}
