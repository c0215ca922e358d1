/**
 * Packaging as a consumer meets it: build, `pnpm pack` @hcr/core, @hcr/data, @hcr/decode, @hcr/image,
 * @hcr/onnx-proto, @hcr/export-onnx and @hcr/serve-onnx, install the tarballs into a fresh project outside
 * the workspace, and run each package's README example there. (The serving-only npm install is
 * packages/serve-onnx/test/serving-install.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_MODEL, HANDWRITING_DIR } from '../../../packages/serve-onnx/test/support/models.js';
import { buildAndPack } from '../../../packages/serve-onnx/test/support/pack.js';
import { PHOTOS } from '../../../packages/serve-onnx/test/support/paths.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const PACKAGES = ['core', 'data', 'decode', 'image', 'onnx-proto', 'export-onnx', 'serve-onnx'];
/** Packages the consumer gets through another one (not direct dependencies): where pnpm puts them. */
const THROUGH: Record<string, string> = {
  core: 'data',
  decode: 'serve-onnx',
  image: 'serve-onnx',
  'onnx-proto': 'serve-onnx',
};
const SHARED_DATA = resolve(ROOT, '../shared/data');

/** The first ```ts block of a package README. */
function readmeExample(pkg: string): string {
  const text = readFileSync(join(ROOT, 'packages', pkg, 'README.md'), 'utf8');
  const m = /```ts\n([\s\S]*?)```/.exec(text);
  if (!m) throw new Error(`packages/${pkg}/README.md has no ts example`);
  return m[1]!;
}

/**
 * The sources are not shipped, so a source map must carry them (`inlineSources`): a stack trace under
 * `node --enable-source-maps`, or a debugger, then shows the TypeScript line. No declaration map, whose only
 * use would be to send an editor to a .ts file the package does not hold.
 */
function expectSelfContainedMaps(pkg: string, dist: string): void {
  const files = readdirSync(dist, { recursive: true, encoding: 'utf8' });
  expect(
    files.filter((f) => f.endsWith('.d.ts.map')),
    `@hcr/${pkg}: declaration maps`,
  ).toEqual([]);
  const maps = files.filter((f) => f.endsWith('.js.map'));
  expect(maps.length, `@hcr/${pkg}: source maps`).toBeGreaterThan(0);
  for (const f of maps) {
    const map = JSON.parse(readFileSync(join(dist, f), 'utf8')) as {
      sources: string[];
      sourcesContent?: unknown[];
    };
    expect(map.sourcesContent?.length, `@hcr/${pkg} dist/${f}: sourcesContent`).toBe(map.sources.length);
    for (const c of map.sourcesContent ?? []) expect(typeof c, `@hcr/${pkg} dist/${f}`).toBe('string');
  }
}

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });

describe('published packages install and their README examples run', () => {
  let project: string;

  beforeAll(() => {
    const tgz = buildAndPack(PACKAGES, mkdtempSync(join(tmpdir(), 'hcr-tarballs-')));
    project = mkdtempSync(join(tmpdir(), 'hcr-consumer-'));
    const file = (name: string) => `file:${tgz[name]}`;
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'hcr-consumer',
        private: true,
        type: 'module',
        dependencies: {
          '@hcr/data': file('@hcr/data'),
          '@hcr/export-onnx': file('@hcr/export-onnx'),
          '@hcr/serve-onnx': file('@hcr/serve-onnx'),
          '@tensorflow/tfjs-backend-cpu': '4.22.0',
          '@tensorflow/tfjs-core': '4.22.0',
          '@tensorflow/tfjs-layers': '4.22.0',
          // @hcr/export-onnx's optional peer, for its README's parity check
          'onnxruntime-node': '1.30.0',
        },
        // the tarballs depend on each other by version; point those at the tarballs too
        pnpm: { overrides: Object.fromEntries(Object.keys(tgz).map((n) => [n, file(n)])) },
      }),
    );
    run('pnpm', ['install', '--prefer-offline', '--config.confirmModulesPurge=false'], project);
  }, 900_000);

  it('each tarball ships dist with types and no sources or tests', () => {
    // @hcr/core, decode and image are not direct dependencies: find them where pnpm put them, next to their user
    for (const p of PACKAGES) {
      const dir = THROUGH[p]
        ? join(realpathSync(join(project, 'node_modules/@hcr', THROUGH[p])), '..', p)
        : join(project, 'node_modules', '@hcr', p);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      expect(JSON.stringify(pkg.exports)).not.toContain('source');
      expect(existsSync(join(dir, 'dist', 'index.js'))).toBe(true);
      expect(existsSync(join(dir, 'dist', 'index.d.ts'))).toBe(true);
      expect(existsSync(join(dir, 'src'))).toBe(false);
      expect(existsSync(join(dir, 'test'))).toBe(false);
      expectSelfContainedMaps(p, join(dir, 'dist'));
    }
  });

  it('@hcr/data README example', () => {
    const code = readmeExample('data').replace("'../shared/data'", JSON.stringify(SHARED_DATA));
    writeFileSync(join(project, 'data-example.mjs'), code);
    const out = run('node', ['data-example.mjs'], project);
    expect(out).toMatch(/^emnist-letters(-repack)? \d+$/m);
    expect(out).toMatch(/^4096 3211264 \d+ \d+$/m);
    expect(out).toMatch(/^784$/m);
  });

  it('@hcr/export-onnx README example', () => {
    writeFileSync(join(project, 'export-example.mjs'), readmeExample('export-onnx'));
    const out = run('node', ['export-example.mjs'], project).split('\n');
    expect(out[0]).toBe('17 15770 2'); // opset, parameters, transposes
    expect(out).toContain('true 1'); // onnxruntime within 1e-4 of tfjs, the same argmax
    // read back from the file it wrote (in a temp folder it removes)
    expect(out).toContain("@hcr/export-onnx [ { key: 'author', value: 'me' } ]");
  });

  it.skipIf(!PHOTOS)('@hcr/serve-onnx README example', () => {
    mkdirSync(join(project, 'artifacts/model/latest'), { recursive: true });
    copyFileSync(FIXTURE_MODEL, join(project, 'artifacts/model/latest/model.onnx'));
    copyFileSync(join(HANDWRITING_DIR, '7-0.jpg'), join(project, 'seven.jpg'));
    copyFileSync(join(HANDWRITING_DIR, 'O-0.jpg'), join(project, 'letter-o.jpg'));
    writeFileSync(join(project, 'serve-example.mjs'), readmeExample('serve-onnx'));
    const out = run('node', ['serve-example.mjs'], project).trim().split('\n');
    expect(out[0]).toMatch(/^[0-9A-Z] [01]\.\d{3} [0-9A-Z] [0-9A-Z] [0-9A-Z]$/);
    expect(out[1]).toMatch(/^[0-9] [0-9]$/); // digits-only field: both answers are digits
  });
});
