import { Worker } from 'node:worker_threads';

/**
 * A worker thread running the module `name` beside `here` (an import.meta.url), with its
 * extension: .js when running from dist/, .ts under tsx or vitest, where the worker first
 * registers tsx (the `tsx` dev dependency) to load TypeScript, because a worker thread does not
 * inherit the parent's loader.
 */
export function startWorker(here: string, name: string, workerData: unknown): Worker {
  const extension = here.endsWith('.ts') ? '.ts' : '.js';
  const file = new URL(`./${name}${extension}`, here);
  if (extension === '.js') return new Worker(file, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}
