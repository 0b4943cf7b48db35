// One action at a time on a screen: which one is running (for its button's label and to disable the others), and its
// failure handed to the screen's error display. The first screen, the Deploy tab and the labels dialog share it.
import { useState } from 'react';

export function useAttempt<K extends string>(onError: (message: string) => void, onStart?: () => void) {
  const [busy, setBusy] = useState<K | null>(null);
  const attempt = async (what: K, action: () => Promise<void>) => {
    setBusy(what);
    onStart?.();
    try {
      await action();
    } catch (e) {
      onError((e as Error).message);
    } finally {
      setBusy(null);
    }
  };
  return { busy, attempt };
}
