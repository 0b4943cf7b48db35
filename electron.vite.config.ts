// Electron build (where Electron is installed): main and preload bundled for Node, the renderer with the same
// config browser mode uses.
import { resolve } from 'node:path';
import { defineConfig, externalizeDepsPlugin } from 'electron-vite';
import renderer from './vite.renderer.config';

export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    build: {
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src/main/electron/index.ts'),
          // the ML worker thread is its own entry, emitted beside index.js (see src/main/ml/jobs/mlWorker.ts)
          worker: resolve(import.meta.dirname, 'src/main/ml/jobs/worker.ts'),
        },
      },
    },
  },
  preload: {
    plugins: [externalizeDepsPlugin({ exclude: ['zod'] })],
    build: { rollupOptions: { input: { index: resolve(import.meta.dirname, 'src/preload/index.ts') } } },
  },
  renderer,
});
