import { describe, expect, it } from 'vitest';
import { createLineGenerator, generatorFingerprint, resolveLineConfig } from '../src/index.js';

describe("the line generator's fingerprint", () => {
  const config = resolveLineConfig({});

  it('is the same for the same config, and changes with the config', () => {
    const fp = generatorFingerprint(config);
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(generatorFingerprint(resolveLineConfig({}))).toBe(fp);
    expect(generatorFingerprint(resolveLineConfig({ seed: 2 }))).not.toBe(fp);
  });

  it('changes when the generator draws one pixel differently', () => {
    const altered: typeof createLineGenerator = (...args) => {
      const g = createLineGenerator(...args);
      return {
        refused: g.refused,
        render(split, index) {
          const r = g.render(split, index);
          if (split === 'test' && index === 3) r.line.pixels[0] = (r.line.pixels[0]! + 1) % 256;
          return r;
        },
      };
    };
    expect(generatorFingerprint(config, altered)).not.toBe(generatorFingerprint(config));
  });
});
