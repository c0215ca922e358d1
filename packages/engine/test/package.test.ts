import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// tfjs must be one copy: the fast kernels register into @hcr/engine's tfjs-core and the batch-norm / LSTM
// patches go to its tfjs-layers' prototypes. As peer dependencies they resolve to the consumer's own copy.
const TFJS = ['@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers'];
type Pkg = {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};
const root = join(import.meta.dirname, '..', '..', '..');
const read = (dir: string): Pkg => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Pkg;

describe('package.json', () => {
  const engine = read(join(import.meta.dirname, '..'));

  it('tfjs-core, tfjs-layers and tfjs-backend-wasm are peer dependencies (and dev dependencies for the build)', () => {
    for (const name of TFJS) {
      expect(engine.dependencies?.[name], name).toBeUndefined();
      expect(engine.peerDependencies?.[name], name).toBe('4.22.0');
      expect(engine.devDependencies?.[name], name).toBe(engine.peerDependencies?.[name]);
    }
  });

  it('every workspace package that depends on @hcr/engine provides them', () => {
    const dependents: string[] = [];
    for (const group of ['packages', 'apps']) {
      for (const dir of readdirSync(join(root, group))) {
        let pkg: Pkg;
        try {
          pkg = read(join(root, group, dir));
        } catch {
          continue;
        }
        if (pkg.name === engine.name || !pkg.dependencies?.['@hcr/engine']) continue;
        dependents.push(pkg.name);
        for (const name of TFJS) expect(pkg.dependencies?.[name], `${pkg.name}: ${name}`).toBe('4.22.0');
      }
    }
    expect(dependents.length).toBeGreaterThan(0);
  });
});
