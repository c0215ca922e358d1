import { register } from 'node:module';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { HcrError } from './errors.js';

/**
 * Module hooks for a worker started from TypeScript sources, registered after tsx's so that they run first: an ES
 * module of an installed package (.mjs under node_modules) loads as it is, without tsx. tsx rewrites every dynamic
 * import() of an ES module and generates an inline source map for the result, which costs pdf.js (pdfjs-dist, 2 MB)
 * about 1.5 s of CPU per worker; Node then parses that map and pdf.js' own 7.8 MB of maps (tsx turns source maps
 * on). A dependency's maps point at sources nobody debugs from here, so they are dropped. A data: URL rather than a
 * file, so that it works whether @hcr/core runs from its source or from dist.
 */
const DEPENDENCY_HOOKS = `data:text/javascript,${encodeURIComponent(`
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !/\\/node_modules\\/.*\\.mjs(\\?|$)/.test(url)) return nextLoad(url, context);
  const file = new URL(url);
  file.search = '';
  const text = await readFile(fileURLToPath(file), 'utf8');
  return { format: 'module', source: text.replace(/\\/\\/# sourceMappingURL=\\S+\\s*$/, ''), shortCircuit: true };
}`)}`;

/**
 * For a process that runs TypeScript sources through `--import tsx` (`pnpm hcr`): installed packages' ES modules
 * load as they are from now on, not through tsx (see DEPENDENCY_HOOKS; what moduleWorker does in its workers). The
 * CLI's main process draws on pdf.js to count a PDF's pages, and paid ~1.5 s of CPU per run for tsx's rewrite.
 */
export function loadDependenciesWithoutTsx(): void {
  register(DEPENDENCY_HOOKS);
}

/** Where tsx's API is, for a worker of TypeScript sources; a clear error when tsx is not installed. */
function tsxApi(from: string): string {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch (e) {
    throw new HcrError(
      'WORKER_NEEDS_TSX',
      `${from} is TypeScript, and its worker needs tsx, which is not installed.`,
      {
        hint: 'Install tsx beside @hcr/core (npm i -D tsx), or run the built JavaScript.',
        cause: e,
      },
    );
  }
}

/**
 * A worker thread running the module `name` that sits beside the module `from` (pass `import.meta.url`):
 * `name.js` when `from` is built JavaScript; `name.ts` through tsx when `from` runs from its TypeScript source
 * (tests, `pnpm hcr`), because Node 20 does not apply `--import tsx` hooks inside worker threads (WORKER_NEEDS_TSX
 * without tsx). Options are Node's. The worker boots from a line of code that imports the module, not from the file
 * itself: a module file refuses `--input-type` (of `node -e` scripts), which a worker inherits, and a worker refuses
 * process-wide flags (--max-old-space-size, --single-threaded-gc) passed to it as execArgv, so filtering the flags
 * would not do. `--conditions=source` is inherited, so workspace packages resolve to their sources in the worker too.
 */
export function moduleWorker(from: string, name: string, options: WorkerOptions = {}): Worker {
  if (!from.endsWith('.ts')) {
    const url = new URL(`./${name}.js`, from).href;
    return new Worker(`import(${JSON.stringify(url)});`, { ...options, eval: true });
  }
  const tsx = tsxApi(from);
  const url = new URL(`./${name}.ts`, from).href;
  // tsx's hooks scoped to this worker's own modules, then the dependency hooks above, which run first.
  const boot = `Promise.all([import(${JSON.stringify(tsx)}), import('node:module')]).then(([tsx, { register }]) => {
    const scoped = tsx.register({ namespace: 'hcr-worker' });
    register(${JSON.stringify(DEPENDENCY_HOOKS)});
    return scoped.import(${JSON.stringify(url)}, ${JSON.stringify(from)});
  });`;
  return new Worker(boot, { ...options, eval: true });
}
