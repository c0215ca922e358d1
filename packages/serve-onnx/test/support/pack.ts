/**
 * Builds workspace packages and packs them as the registry would ship them (`pnpm pack`: publishConfig
 * exports, `files`, workspace:* turned into versions). Shared by the packaging tests and the install bench.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_CACHE_DIR } from './paths.js';

export const ROOT = resolve(fileURLToPath(new URL('../../../../', import.meta.url)));

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
}

function readPackageJson(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8')) as PackageJson;
}

/** `@hcr/x` -> `x` (its directory under packages/). */
const dirOf = (name: string) => name.replace(/^@hcr\//, '');

/**
 * The package and every workspace package it needs at run time (dependencies, not devDependencies),
 * as directory names under packages/, dependencies first.
 */
export function runtimeWorkspacePackages(dir: string): string[] {
  const seen: string[] = [];
  const visit = (d: string) => {
    if (seen.includes(d)) return;
    for (const [name, spec] of Object.entries(readPackageJson(d).dependencies ?? {}))
      if (spec.startsWith('workspace:')) visit(dirOf(name));
    seen.push(d);
  };
  visit(dir);
  return seen;
}

const run = (cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) =>
  execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 900_000,
    env: { ...process.env, ...env },
  });

/**
 * Runs `fn` while holding a machine-wide lock, so two test files never rebuild and pack the same dist/
 * directories at once (one could pack a file the other is rewriting). A lock left by a dead process is taken over.
 */
function withPackLock<T>(fn: () => T): T {
  const lock = join(TEST_CACHE_DIR, 'hcr-build-pack.lock');
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      let owner = 0;
      try {
        owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
        process.kill(owner, 0);
      } catch (e) {
        // its owner is gone (a pid file not written yet reads as 0: the owner is just starting)
        if (owner && (e as NodeJS.ErrnoException).code === 'ESRCH')
          rmSync(lock, { recursive: true, force: true });
      }
      if (Date.now() > deadline) throw new Error(`${lock} is still held by process ${owner} after 20 min`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Where a test run keeps the tarballs it packed, for the next test of the same run that packs the same package
 * (pack-install.test.ts and serving-install.test.ts pack core, decode, image, onnx-proto and serve-onnx both, and
 * each pack rebuilds its package: prepack). Only inside a vitest run's own temp dir (vitest.tmpdir.ts), removed
 * when the run ends, so no tarball outlives the sources it was packed from; elsewhere (the install bench) none.
 */
function runPackCache(): string | undefined {
  return basename(tmpdir()).startsWith('hcr-test-run-') ? join(tmpdir(), 'hcr-packed') : undefined;
}

/**
 * Builds `dirs` (turbo, cached) and packs each into `dest`. Returns package name -> tarball path. A package
 * packed earlier in the same test run is copied from that run's pack instead (runPackCache).
 */
export function buildAndPack(dirs: readonly string[], dest: string): Record<string, string> {
  return withPackLock(() => {
    const cache = runPackCache();
    const tarballOf = (d: string) => {
      const { name, version } = readPackageJson(d);
      return { name, file: `${name.replace('@', '').replace('/', '-')}-${version}.tgz` };
    };
    const cached = (d: string) => cache !== undefined && existsSync(join(cache, tarballOf(d).file));
    // What each package's prepack does (an empty dist/, then the build), for all of them at once: turbo builds
    // them in order and restores what it built before, and `pnpm pack` below skips prepack. Building every package
    // a second time in its prepack cost ~5 s a package.
    for (const d of dirs.filter((x) => !cached(x)))
      rmSync(join(ROOT, 'packages', d, 'dist'), { recursive: true, force: true });
    if (!dirs.every(cached))
      run(
        'pnpm',
        [
          'turbo',
          'run',
          'build',
          ...dirs.map((d) => `--filter=${readPackageJson(d).name}`),
          '--output-logs=errors-only',
        ],
        ROOT,
      );
    const tarballs: Record<string, string> = {};
    for (const d of dirs) {
      const { name, file } = tarballOf(d);
      if (cached(d)) copyFileSync(join(cache!, file), join(dest, file));
      else {
        run('pnpm', ['pack', '--pack-destination', dest], join(ROOT, 'packages', d), {
          npm_config_ignore_scripts: 'true',
        });
        if (!readdirSync(dest).includes(file)) throw new Error(`pnpm pack wrote no ${file} in ${dest}`);
        if (cache) {
          mkdirSync(cache, { recursive: true });
          copyFileSync(join(dest, file), join(cache, file));
        }
      }
      tarballs[name] = join(dest, file);
    }
    return tarballs;
  });
}
