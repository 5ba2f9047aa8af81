import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The console is a static build served by the service under /console/ (src/api/plugins/console.ts). */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1024 },
  logLevel: 'warn',
});
