import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moduleWorker } from '../src/index.js';

const run = promisify(execFile);

/** The first message of a worker, or its error. */
function firstMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  }).finally(() => worker.terminate());
}

describe('moduleWorker', () => {
  let dir: string;
  let from: { ts: string; js: string };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hcr-worker-'));
    // A package's ES module with a dynamic import() (what tsx rewrites) and a map comment pointing at nothing.
    await mkdir(join(dir, 'node_modules', 'dep'), { recursive: true });
    await writeFile(
      join(dir, 'node_modules', 'dep', 'package.json'),
      '{"name":"dep","exports":"./index.mjs"}',
    );
    await writeFile(
      join(dir, 'node_modules', 'dep', 'index.mjs'),
      "export const sep = async () => (await import('node:path')).sep;\n//# sourceMappingURL=index.mjs.map\n",
    );
    const reply = (body: string) =>
      `import { parentPort, workerData } from 'node:worker_threads';\n${body}\n` +
      'parentPort.postMessage({ doubled: workerData * 2, sep: await sep(), kind });\n';
    await writeFile(
      join(dir, 'echo.ts'),
      reply("import { sep } from 'dep';\nconst kind: 'ts' | 'js' = 'ts';"),
    );
    await writeFile(join(dir, 'echo.js'), reply("import { sep } from 'dep';\nconst kind = 'js';"));
    await writeFile(join(dir, 'package.json'), '{"type":"module"}');
    from = { ts: pathToFileURL(join(dir, 'caller.ts')).href, js: pathToFileURL(join(dir, 'caller.js')).href };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('runs name.ts beside a caller running from TypeScript source, its packages ES modules included', async () => {
    const got = await firstMessage(moduleWorker(from.ts, 'echo', { workerData: 21 }));
    expect(got).toEqual({ doubled: 42, sep: '/', kind: 'ts' });
  });

  it('runs name.js beside a built caller', async () => {
    const got = await firstMessage(moduleWorker(from.js, 'echo', { workerData: 4 }));
    expect(got).toEqual({ doubled: 8, sep: '/', kind: 'js' });
  });

  it('starts under flags a worker refuses as execArgv: --input-type, --max-old-space-size, --single-threaded-gc', async () => {
    const core = pathToFileURL(join(import.meta.dirname, '..', 'src', 'index.ts')).href;
    const script = `
      import { moduleWorker } from ${JSON.stringify(core)};
      const first = (w) => new Promise((ok, fail) => { w.once('message', ok); w.once('error', fail); }).finally(() => w.terminate());
      for (const from of ${JSON.stringify([from.ts, from.js])}) console.log(JSON.stringify(await first(moduleWorker(from, 'echo', { workerData: 1 }))));
    `;
    const flags = [
      '--max-old-space-size=512',
      '--single-threaded-gc',
      '--conditions=source',
      '--import',
      'tsx',
    ];
    const { stdout } = await run(process.execPath, [...flags, '--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '..'),
    });
    expect(
      stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { doubled: 2, sep: '/', kind: 'ts' },
      { doubled: 2, sep: '/', kind: 'js' },
    ]);
  });

  it('says what to install when a TypeScript caller has no tsx to boot its worker with (WORKER_NEEDS_TSX)', async () => {
    // @hcr/core's worker.ts where no tsx can be found from it, as in a project that installed hcr without tsx
    const alone = join(dir, 'alone');
    await mkdir(alone);
    for (const file of ['worker.ts', 'errors.ts'])
      await writeFile(join(alone, file), await readFile(join(import.meta.dirname, '..', 'src', file)));
    const script = `
      const { moduleWorker } = await import(${JSON.stringify(pathToFileURL(join(alone, 'worker.ts')).href)});
      try { moduleWorker(${JSON.stringify(from.ts)}, 'echo'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
    `;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '..'),
    });
    expect(JSON.parse(stdout)).toEqual({
      code: 'WORKER_NEEDS_TSX',
      message: `${from.ts} is TypeScript, and its worker needs tsx, which is not installed. Install tsx beside @hcr/core (npm i -D tsx), or run the built JavaScript.`,
    });
  });

  it("loadDependenciesWithoutTsx: a package's ES modules skip the hooks before it (tsx's); TypeScript still reaches them", async () => {
    await writeFile(join(dir, 'local.ts'), "export const kind: 'ts' = 'ts';\n");
    // a hook registered after tsx's, so run before it: it notes every module that reaches tsx
    const noted = join(dir, 'reached-tsx.log');
    const spy = `data:text/javascript,${encodeURIComponent(
      `import { appendFileSync } from 'node:fs';
       export async function load(url, context, next) { appendFileSync(${JSON.stringify(noted)}, url + '\\n'); return next(url, context); }`,
    )}`;
    const registerSpy = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(spy)});`)}`;
    const core = pathToFileURL(join(import.meta.dirname, '..', 'src', 'index.ts')).href;
    const reached = async (skip: boolean) => {
      await rm(noted, { force: true });
      const script = `
        import { loadDependenciesWithoutTsx } from ${JSON.stringify(core)};
        if (${skip}) loadDependenciesWithoutTsx();
        const { sep } = await import(${JSON.stringify(pathToFileURL(join(dir, 'node_modules', 'dep', 'index.mjs')).href)});
        const { kind } = await import(${JSON.stringify(pathToFileURL(join(dir, 'local.ts')).href)});
        console.log(JSON.stringify({ sep: await sep(), kind }));
      `;
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', '--import', registerSpy, '--input-type=module', '-e', script],
        { cwd: join(import.meta.dirname, '..') },
      );
      expect(JSON.parse(stdout)).toEqual({ sep: '/', kind: 'ts' });
      const urls = (await readFile(noted, 'utf8')).trim().split('\n');
      return {
        dep: urls.some((u) => u.endsWith('/node_modules/dep/index.mjs')),
        local: urls.some((u) => u.endsWith('/local.ts')),
      };
    };
    expect(await reached(false)).toEqual({ dep: true, local: true }); // the spy sees what tsx would load
    expect(await reached(true)).toEqual({ dep: false, local: true });
  });

  it('reports a module that is not there as the worker error', async () => {
    await expect(firstMessage(moduleWorker(from.js, 'missing'))).rejects.toThrow(
      /Cannot find module .*missing\.js/,
    );
  });
});
