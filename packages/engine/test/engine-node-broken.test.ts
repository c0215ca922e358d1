import { describe, expect, it, vi } from 'vitest';
import { initEngine } from '../src/index.js';

// An installed tfjs-node that loads but registers no 'tensorflow' backend (a file of its own: mocks are per file).
vi.mock('@tensorflow/tfjs-node', () => ({}));

describe("initEngine 'auto' with a broken tfjs-node", () => {
  it('says once why it is skipped, then uses wasm', async () => {
    const lines: string[] = [];
    const info = await initEngine({ engine: 'auto', log: (l) => lines.push(l) });
    expect(info.name).toBe('wasm');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /tfjs-node is installed but does not load \(backend "tensorflow" not registered\)/,
    );
    expect(lines[1]).toMatch(/^engine: wasm/);
    await initEngine({ engine: 'cpu', log: () => {} });
    const again: string[] = [];
    await initEngine({ engine: 'auto', log: (l) => again.push(l) });
    expect(again).toHaveLength(1);
  });
});
