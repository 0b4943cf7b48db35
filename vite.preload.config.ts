// The preload script's build, shared by electron-vite (electron.vite.config.ts) and the tests: one CommonJS file,
// out/preload/index.cjs. Electron loads a sandboxed preload as a classic script, so it cannot be an ES module;
// with "type": "module" in package.json the .cjs extension keeps Node's loader from reading it as one.
import { resolve } from 'node:path';
import { defineConfig, type BuildOptions } from 'vite';

export const preloadBuild: BuildOptions = {
  outDir: resolve(import.meta.dirname, 'out/preload'),
  emptyOutDir: true,
  target: 'node20',
  minify: false,
  lib: { entry: resolve(import.meta.dirname, 'src/preload/index.ts'), formats: ['cjs'], fileName: () => 'index.cjs' },
  // a sandboxed preload may require only Electron's own modules: everything else (zod, the API list) is bundled
  rollupOptions: { external: ['electron'], output: { format: 'cjs', entryFileNames: 'index.cjs' } },
};

export default defineConfig({ build: preloadBuild, logLevel: 'error' });
