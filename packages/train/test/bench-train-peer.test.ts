import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// `pnpm bench train` said "needs /usr/bin/python3 with torch: apt-get install python3-torch" whatever kept the
// PyTorch peer from running: a peer script that is not there, or one that failed. Each is now named.
describe('bench train: why the PyTorch peer is not available', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hcr-bench-peer-'));

  async function peerNote(peer: string): Promise<string> {
    vi.resetModules();
    vi.stubEnv('HCR_PEER', peer);
    try {
      const { benchTrain } = await import('../bench/train.js');
      const lines: string[] = [];
      await benchTrain({ images: 64, batch: 32, workers: 1, models: ['seed'], log: (l) => lines.push(l) });
      return lines.find((l) => l.includes('peer'))!;
    } finally {
      vi.unstubAllEnvs();
    }
  }

  it.skipIf(!existsSync('/usr/bin/python3'))(
    'a missing peer script and a failing one, each by name',
    async () => {
      const missing = join(dir, 'no-such-peer.py');
      expect(await peerNote(missing)).toContain(
        `peer: not available (no peer script at ${missing}: set HCR_PEER`,
      );
      const failing = join(dir, 'failing-peer.py');
      writeFileSync(failing, 'import sys\nsys.exit("peer broke: out of memory")\n');
      expect(await peerNote(failing)).toContain(
        `peer: not available (${failing} failed: peer broke: out of memory)`,
      );
    },
    120_000,
  );
});
