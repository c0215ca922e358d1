import { describe, expect, it } from 'vitest';
import { hcr } from './support/run-hcr.js';

describe('hcr train number flags', () => {
  it('take decimal numbers only: --epochs 0x10 is an error naming the flag, not 16 epochs', async () => {
    const r = await hcr('train', '--epochs', '0x10', '--out', '/nonexistent-hcr-out');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("--epochs '0x10' is not an integer");
  });
});
