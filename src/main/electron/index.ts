// Electron shell: one locked-down window (context isolation, sandbox, no Node in the page, a strict CSP) over the
// same Workbench services that browser mode uses. Calls arrive on one IPC channel and go through the same
// dispatch (schema validation included); pixels are served on the dwb-file: protocol.
// Built by electron-vite where Electron is installed; not part of the plain-Node build (see README).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { app, BrowserWindow, ipcMain, protocol, session } from 'electron';
import { EVENT_NAMES, type FileKind } from '../../shared/api.js';
import { dispatch } from '../app/dispatch.js';
import { fileFor } from '../app/fileAccess.js';
import { Workbench } from '../app/workbench.js';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' dwb-file: blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'";

protocol.registerSchemesAsPrivileged([{ scheme: 'dwb-file', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

const workbench = new Workbench('electron');
let window: BrowserWindow | null = null;

function rendererUrl(): string {
  return process.env.ELECTRON_RENDERER_URL ?? `file://${join(__dirname, '../renderer/index.html')}`;
}

function createWindow(): void {
  window = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Defect Workbench',
    webPreferences: {
      preload: join(__dirname, '../preload/index.mjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
    },
  });
  // the page may not navigate away or open windows: it is the app, not a browser
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  if (process.env.ELECTRON_RENDERER_URL) void window.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void window.loadFile(join(__dirname, '../renderer/index.html'));
}

void app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  protocol.handle('dwb-file', async (request) => {
    const url = new URL(request.url);
    try {
      const file = await fileFor(workbench.current(), url.hostname as FileKind, Number(url.pathname.slice(1)));
      const body = file.kind === 'bytes' ? file.bytes : await readFile(file.path);
      return new Response(body, { headers: { 'Content-Type': file.contentType } });
    } catch (error) {
      return new Response((error as Error).message, { status: 404 });
    }
  });
  ipcMain.handle('dwb:call', (event, channel: unknown, input: unknown) => {
    // only our own page may call, never a frame that navigated elsewhere
    if (!event.senderFrame?.url.startsWith(rendererUrl().split('index.html')[0]!)) {
      return { ok: false, error: { code: 'forbidden', message: 'calls are accepted from the workbench window only' } };
    }
    return dispatch(workbench.handlers, channel, input);
  });
  for (const name of EVENT_NAMES) workbench.on(name, (payload) => window?.webContents.send('dwb:event', name, payload));
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  void workbench.close().finally(() => {
    if (process.platform !== 'darwin') app.quit();
  });
});
