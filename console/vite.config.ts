import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The console is a static build served by the service under /console/ (src/api/plugins/console.ts),
 * written into the build output (dist/console/) so a production install ships it with dist/.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
  },
  logLevel: 'warn',
});
