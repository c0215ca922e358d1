import { describe, expect, it } from 'vitest';
import { Packer, unpack } from '../src/workers/packing.js';

describe('packing arrays for a message between threads', () => {
  it('gives back every array as it was, float32 data aligned, through growth and across takes', () => {
    const packer = new Packer(16);
    const arrays: (Uint8Array | Float32Array)[] = [];
    for (let i = 0; i < 50; i++) {
      const n = 1 + ((i * 37) % 300);
      arrays.push(
        i % 3 === 0
          ? Float32Array.from({ length: n }, (_, k) => k / 7 - i)
          : Uint8Array.from({ length: n }, (_, k) => (k * i) & 255),
      );
    }
    // a view into a larger buffer packs as its own bytes only
    arrays.push(new Uint8Array(1000).fill(9).subarray(10, 17));
    const refs = arrays.map((a) => packer.add(a));
    const buffer = packer.take();
    expect(packer.empty).toBe(true);
    for (const [i, ref] of refs.entries()) {
      const back = unpack(buffer, ref);
      expect(back.constructor).toBe(arrays[i]!.constructor);
      expect(Array.from(back)).toEqual(Array.from(arrays[i]!));
      if (ref.type === 'f32') expect(ref.at % 4).toBe(0);
    }
    // the caller may reuse its array at once: the packed copy is unaffected
    const reused = new Uint8Array([1, 2, 3]);
    const ref = packer.add(reused);
    reused.fill(0);
    expect(Array.from(unpack(packer.take(), ref))).toEqual([1, 2, 3]);
  });
});
