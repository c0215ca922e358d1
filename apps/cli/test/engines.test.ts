import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const manifest = (dir: string) => JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8'));

describe('engines', () => {
  it('every published package states the Node versions the repository supports', () => {
    const supported = manifest('.').engines.node;
    // the floor: @faker-js/faker 10 and vitest need 20.19 / 22.13; fastify's inject loads the ESM-only cookie 2
    // through require(esm), which Node has without a flag from 20.19 and 22.12 (see the root README)
    expect(supported).toBe('^20.19.0 || ^22.13.0 || >=24');
    const published = ['packages', 'apps']
      .flatMap((group) => readdirSync(join(ROOT, group)).map((name) => `${group}/${name}`))
      .filter((dir) => {
        try {
          return !manifest(dir).private;
        } catch {
          return false; // not a package
        }
      });
    expect(published).toContain('apps/cli');
    expect(published.length).toBeGreaterThanOrEqual(10);
    for (const dir of published) expect([dir, manifest(dir).engines?.node]).toEqual([dir, supported]);
  });
});
