// The labelling session: every label change (a stroke, a fill, a key press) goes through here, one at a time and in
// order, to the store; each becomes one undo step. Undo and redo restore the stored version the step replaced or
// made (the store keeps every version), and the open image's mask scene applies the step's inverse delta at once.
// Listeners hear every changed record, so the grid, counters and viewer follow undo as they follow edits.
import type { LabelChange } from '../../../../shared/api';
import type { ImageRecord, LabelState } from '../../../../shared/domain';
import type { PixelRect } from '../../../../shared/raster';
import { api, ApiCallError } from '../../api/transport';

/** One undoable step. Event ids are filled in when the store has answered. */
export interface HistoryEntry {
  imageId: number;
  what: string;
  eventBefore: number | null;
  eventAfter: number | null;
  /** For pixel edits: the rectangle and its values before and after, applied to the open scene at once. */
  pixels?: { rect: PixelRect; before: Uint8Array; after: Uint8Array };
}

type RecordListener = (record: ImageRecord) => void;
type PixelListener = (imageId: number, rect: PixelRect, values: Uint8Array) => void;
type ReloadListener = (imageId: number) => void;
type ErrorListener = (message: string) => void;

export interface DropMaskQuestion {
  imageName: string;
  state: LabelState;
  answer(drop: boolean): void;
}

class LabelSession {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly undoStack: HistoryEntry[] = [];
  private readonly redoStack: HistoryEntry[] = [];
  private readonly recordListeners = new Set<RecordListener>();
  private readonly pixelListeners = new Set<PixelListener>();
  private readonly reloadListeners = new Set<ReloadListener>();
  private readonly errorListeners = new Set<ErrorListener>();
  private readonly questionListeners = new Set<(q: DropMaskQuestion | null) => void>();
  private readonly stackListeners = new Set<() => void>();
  /** Work sent but not answered yet (the viewer shows "saving…"). */
  pending = 0;

  onRecord(listener: RecordListener) {
    this.recordListeners.add(listener);
    return () => void this.recordListeners.delete(listener);
  }
  onPixels(listener: PixelListener) {
    this.pixelListeners.add(listener);
    return () => void this.pixelListeners.delete(listener);
  }
  onReload(listener: ReloadListener) {
    this.reloadListeners.add(listener);
    return () => void this.reloadListeners.delete(listener);
  }
  onError(listener: ErrorListener) {
    this.errorListeners.add(listener);
    return () => void this.errorListeners.delete(listener);
  }
  onQuestion(listener: (q: DropMaskQuestion | null) => void) {
    this.questionListeners.add(listener);
    return () => void this.questionListeners.delete(listener);
  }
  onStacks(listener: () => void) {
    this.stackListeners.add(listener);
    return () => void this.stackListeners.delete(listener);
  }

  get canUndo() {
    return this.undoStack.length > 0;
  }
  get canRedo() {
    return this.redoStack.length > 0;
  }

  /** Runs store calls strictly in order; a failure is reported and the image reloaded from the store. */
  private enqueue<T>(imageId: number, work: () => Promise<T>): Promise<T | undefined> {
    this.pending++;
    this.emitStacks();
    const next = this.queue.then(work).then(
      (value) => value,
      (error: unknown) => {
        for (const l of this.errorListeners) l(`The label was not saved: ${(error as Error).message}`);
        for (const l of this.reloadListeners) l(imageId);
        return undefined;
      },
    );
    this.queue = next.finally(() => {
      this.pending--;
      this.emitStacks();
    });
    return next;
  }

  private emitRecord(record: ImageRecord) {
    for (const l of this.recordListeners) l(record);
  }

  private emitStacks() {
    for (const l of this.stackListeners) l();
  }

  private push(entry: HistoryEntry) {
    this.undoStack.push(entry);
    this.redoStack.length = 0;
    if (this.undoStack.length > 500) this.undoStack.shift();
    this.emitStacks();
  }

  /** Records a stored change as one undo step and tells everyone. */
  private settle(entry: HistoryEntry, change: LabelChange | undefined) {
    if (!change) return;
    entry.eventBefore = change.previousEventId;
    entry.eventAfter = change.labelEventId ?? null;
    this.emitRecord(change);
  }

  /** A pixel edit already applied to the open scene; `send` stores it and answers with the change. */
  recordEdit(entry: Omit<HistoryEntry, 'eventBefore' | 'eventAfter'>, send: () => Promise<LabelChange>): Promise<LabelChange | undefined> {
    const full: HistoryEntry = { ...entry, eventBefore: null, eventAfter: null };
    this.push(full);
    return this.enqueue(entry.imageId, async () => {
      const change = await send();
      this.settle(full, change);
      return change;
    });
  }

  /** An image-level label; a change that would drop a mask is asked about first. */
  async setLabel(image: { id: number; name: string; hasMask: boolean; labelState: LabelState }, state: LabelState): Promise<void> {
    if (image.labelState === state && state !== 'anomalous') return;
    let dropMask = false;
    if (image.hasMask && state !== 'anomalous') {
      dropMask = await this.ask(image.name, state);
      if (!dropMask) return;
    }
    const entry: HistoryEntry = { imageId: image.id, what: `label ${state}`, eventBefore: null, eventAfter: null };
    this.push(entry);
    await this.enqueue(image.id, async () => {
      const change = await api.call('images.label', { id: image.id, labelState: state, ...(dropMask ? { dropMask } : {}) });
      this.settle(entry, change);
      if (dropMask) for (const l of this.reloadListeners) l(image.id);
    });
  }

  private ask(imageName: string, state: LabelState): Promise<boolean> {
    return new Promise((resolve) => {
      const question: DropMaskQuestion = {
        imageName,
        state,
        answer: (drop) => {
          for (const l of this.questionListeners) l(null);
          resolve(drop);
        },
      };
      for (const l of this.questionListeners) l(question);
    });
  }

  /** Restores an entry of an image's label history (the history panel). */
  restore(imageId: number, eventId: number): Promise<void> {
    const entry: HistoryEntry = { imageId, what: `restore ${eventId}`, eventBefore: null, eventAfter: null };
    this.push(entry);
    return this.enqueue(imageId, async () => {
      const change = await api.call('images.restore', { id: imageId, eventId });
      this.settle(entry, change);
      for (const l of this.reloadListeners) l(imageId);
    }).then(() => undefined);
  }

  undo(): void {
    const entry = this.undoStack.pop();
    if (!entry) return;
    this.redoStack.push(entry);
    this.step(entry, 'before');
  }

  redo(): void {
    const entry = this.redoStack.pop();
    if (!entry) return;
    this.undoStack.push(entry);
    this.step(entry, 'after');
  }

  private step(entry: HistoryEntry, to: 'before' | 'after') {
    if (entry.pixels) for (const l of this.pixelListeners) l(entry.imageId, entry.pixels.rect, entry.pixels[to]);
    this.emitStacks();
    void this.enqueue(entry.imageId, async () => {
      // read when the queue reaches this step: the edit it undoes has been stored by then
      const eventId = to === 'before' ? entry.eventBefore : entry.eventAfter;
      if (eventId === null) throw new ApiCallError({ code: 'not-saved', message: 'that step never reached the store, so there is nothing to undo' });
      const change = await api.call('images.restore', { id: entry.imageId, eventId });
      this.emitRecord(change);
      if (!entry.pixels) for (const l of this.reloadListeners) l(entry.imageId);
      return change;
    });
  }

  /** Resolves when everything sent so far has been stored. */
  idle(): Promise<void> {
    return this.queue.then(() => undefined);
  }
}

export const labelSession = new LabelSession();
