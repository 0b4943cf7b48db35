// The renderer's handle on the services. In Electron the preload script exposes `window.dwb`; in browser mode the
// same calls go over the local bridge (fetch for calls, Server-Sent Events for events). Both give one WorkbenchApi.
import { fileUrl, type ApiError, type ApiEvents, type Channel, type EventName, type WorkbenchApi } from '../../../shared/api';

export class ApiCallError extends Error {
  readonly code: string;
  constructor(error: ApiError) {
    super(error.message);
    this.code = error.code;
  }
}

type Reply = { ok: true; result: unknown } | { ok: false; error: ApiError };

/** What the Electron preload exposes (contextBridge): call/listen on allow-listed channels only. */
export interface PreloadBridge {
  call(channel: string, input: unknown): Promise<Reply>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    dwb?: PreloadBridge;
  }
}

function electronTransport(bridge: PreloadBridge): WorkbenchApi {
  return {
    async call(channel, input) {
      const reply = await bridge.call(channel, input);
      if (!reply.ok) throw new ApiCallError(reply.error);
      return reply.result as never;
    },
    on: (event, listener) => bridge.on(event, listener as (payload: unknown) => void),
    fileUrl,
  };
}

function browserTransport(): WorkbenchApi {
  const events = new EventSource('/api/events');
  return {
    async call<C extends Channel>(channel: C, input: unknown) {
      const response = await fetch('/api/call', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify({ channel, input }),
      });
      if (!response.ok) throw new ApiCallError({ code: `http-${response.status}`, message: (await response.text()).trim() });
      const reply = (await response.json()) as Reply;
      if (!reply.ok) throw new ApiCallError(reply.error);
      return reply.result as never;
    },
    on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void) {
      const handler = (e: MessageEvent<string>) => listener(JSON.parse(e.data) as ApiEvents[E]);
      events.addEventListener(event, handler);
      return () => events.removeEventListener(event, handler);
    },
    fileUrl,
  };
}

export const api: WorkbenchApi = window.dwb ? electronTransport(window.dwb) : browserTransport();
