import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker running the module `name` next to this one: .js from dist; from source (tsx), the .ts through
 * tsx's tsImport, because Node 20 does not apply `--import tsx` loader hooks inside worker threads (the
 * same way @hcr/train starts its workers). `--conditions=source` is inherited through execArgv.
 */
export function workerFor(name: string, options: WorkerOptions = {}): Worker {
  // Workers inherit the process's flags; --input-type (node -e scripts) is refused for a module file, and V8's
  // process-wide flags (`hcr train` and `hcr finetune` restart with --single-threaded-gc) for any worker.
  const refused = ['--input-type', '--single-threaded-gc'];
  options = { execArgv: process.execArgv.filter((a) => !refused.some((r) => a.startsWith(r))), ...options };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, import.meta.url), options);
  const api = import.meta.resolve('tsx/esm/api');
  const url = new URL(`./${name}.ts`, import.meta.url).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(url)}, ${JSON.stringify(import.meta.url)}));`;
  return new Worker(boot, { ...options, eval: true });
}
