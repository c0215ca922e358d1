import { describe, expect, it } from 'vitest';
import { SOURCES, type SourceName, sourceId, sourceName } from '../src/index.js';

describe('sources', () => {
  it('maps every source to its id and back', () => {
    SOURCES.forEach((name, i) => {
      expect(sourceId(name)).toBe(i);
      expect(sourceName(i)).toBe(name);
    });
  });

  it('refuses an unknown name (it was -1, stored as 255 in a shard) and what is no id', () => {
    expect(() => sourceId('emnist-leters' as SourceName)).toThrow(
      /unknown source "emnist-leters" \(known: mnist/,
    );
    expect(() => sourceName('length' as unknown as number)).toThrow(/unknown source id length/);
    for (const id of [-1, 1.5, Number.NaN, SOURCES.length]) expect(() => sourceName(id)).toThrow(RangeError);
  });
});
