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

  it('draws faint, broken probe lines that meet the ink rules, so a change to those rules changes it', () => {
    // The speck and grain rules of d8d1754 redrew 6 of 27,000 pipeline lines and no clear probe line.
    const generators: ReturnType<typeof createLineGenerator>[] = [];
    generatorFingerprint(config, (...args) => {
      const g = createLineGenerator(...args);
      generators.push(g);
      return g;
    });
    expect(generators).toHaveLength(2);
    expect(generators[1]!.refused.NO_INK ?? 0).toBeGreaterThan(0);
  });

  it('strokeLines 0 draws the lines drawn without it; a share of lines in strokes draws others', () => {
    const fp = generatorFingerprint(config);
    expect(generatorFingerprint(resolveLineConfig({ strokeLines: 0 }))).toBe(fp);
    expect(generatorFingerprint(resolveLineConfig({ strokeLines: 0.5 }))).not.toBe(fp);
    expect(() => resolveLineConfig({ strokeLines: 0.9 })).toThrow(
      /'strokeLines' is 0\.9; expected a share of the lines in \[0, 0\.8\]/,
    );
  });
});
