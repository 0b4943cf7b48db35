// Electron shell: one locked-down window (context isolation, sandbox, no Node in the page, a strict CSP) over the
// same Workbench services that browser mode uses. The page and its pictures come from one privileged scheme,
// dwb://app (see appProtocol.ts), so the IPC check compares origins on every OS and install folder, the CSP's
// 'self' covers the images and canvases stay clean. Calls arrive on one IPC channel and go through the same
// dispatch (schema validation included). Built by electron-vite where Electron is installed (see README).
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell } from 'electron';
import { EVENT_NAMES } from '../../shared/api.js';
import { dispatch } from '../app/dispatch.js';
import { RecentProjects } from '../app/recentProjects.js';
import { Workbench } from '../app/workbench.js';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, handleAppRequest, isAppUrl, rendererEntry } from '../shell/appProtocol.js';

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);

// the dev server is honoured only in an unpackaged build: a packaged app never loads (or trusts) another origin
const entry = rendererEntry({ packaged: app.isPackaged, devUrl: process.env.ELECTRON_RENDERER_URL });
const appDir = app.getAppPath();
const rendererDir = path.join(appDir, 'out', 'renderer');
// settings and recent projects where the platform keeps an app's data (~/.config, %APPDATA%, ~/Library/Application Support)
const workbench = new Workbench('electron', new RecentProjects(process.env.DWB_HOME ?? app.getPath('userData')), {
  pickFolder: ({ title, defaultPath }) =>
    pickOne({ title: title ?? 'Choose a folder', properties: ['openDirectory', 'createDirectory'], ...(defaultPath ? { defaultPath } : {}) }),
  pickFile: ({ title, defaultPath, extensions }) =>
    pickOne({ title: title ?? 'Choose a file', properties: ['openFile'], filters: [{ name: extensions.join(', '), extensions }], ...(defaultPath ? { defaultPath } : {}) }),
});

/** The system's open dialog over the focused window; the path chosen, or null when cancelled. */
async function pickOne(options: Electron.OpenDialogOptions): Promise<string | null> {
  const owner = BrowserWindow.getFocusedWindow() ?? window;
  const result = owner ? await dialog.showOpenDialog(owner, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}
let window: BrowserWindow | null = null;

function createWindow(): void {
  window = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Defect Workbench',
    webPreferences: {
      // CommonJS: a sandboxed preload cannot be an ES module
      preload: path.join(appDir, 'out', 'preload', 'index.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
    },
  });
  // the page may not navigate away or open windows: it is the app, not a browser; web links open outside
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event, url) => {
    if (url !== entry.url) event.preventDefault();
  });
  void window.loadURL(entry.url);
}

void app.whenReady().then(() => {
  // the page asks for nothing: camera, microphone, notifications, geolocation… all refused
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  protocol.handle(APP_SCHEME, (request) => handleAppRequest(request, workbench, rendererDir));
  ipcMain.handle('dwb:call', (event, channel: unknown, input: unknown) => {
    // only our own page may call, never a frame that navigated elsewhere
    if (!event.senderFrame || !isAppUrl(event.senderFrame.url, entry.devOrigin)) {
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
