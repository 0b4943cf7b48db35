// The preload script: the only bridge between the sandboxed page and the main process. It exposes call/on for the
// API's own channels and events, nothing else; never ipcRenderer itself.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_NAMES, isChannel, type EventName } from '../shared/api.js';

const EVENTS = new Set<EventName>(EVENT_NAMES);

contextBridge.exposeInMainWorld('dwb', {
  call(channel: string, input: unknown) {
    if (!isChannel(channel)) return Promise.resolve({ ok: false, error: { code: 'unknown-channel', message: `there is no call named ${channel}` } });
    return ipcRenderer.invoke('dwb:call', channel, input);
  },
  on(event: string, listener: (payload: unknown) => void) {
    if (!EVENTS.has(event as EventName)) throw new Error(`there is no event named ${event}`);
    const handler = (_e: IpcRendererEvent, name: string, payload: unknown) => {
      if (name === event) listener(payload);
    };
    ipcRenderer.on('dwb:event', handler);
    return () => ipcRenderer.removeListener('dwb:event', handler);
  },
});
