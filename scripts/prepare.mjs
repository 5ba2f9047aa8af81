// `prepare`: builds dist/ when the compiler is installed; a production install
// (`npm ci --omit=dev`) has none and ships the dist/ built beforehand.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

try {
  createRequire(import.meta.url).resolve('typescript');
} catch {
  console.log('prepare: no TypeScript compiler (production install): keeping the built dist/');
  process.exit(0);
}
const { status } = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
process.exit(status ?? 1);
