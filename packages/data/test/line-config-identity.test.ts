import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareLines, resolveLineConfig } from '../src/index.js';

/** The real raw files, as in lines.test.ts (the fixture's few glyphs leave the val pools empty); skipped without them. */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const dataDir = process.env.HCR_DATA_DIR
  ? resolve(process.env.HCR_DATA_DIR)
  : resolve(repoRoot, '../shared/data');
const haveData = existsSync(join(dataDir, 'emnist-byclass-repack'));

describe('a line config spelt another way is the same dataset', () => {
  it('labels 36 is the default: left out of the resolved config, as the data config does', () => {
    expect('labels' in resolveLineConfig({ labels: 36 })).toBe(false);
    expect('labels' in resolveLineConfig({ labels: '36' } as never)).toBe(false);
    expect(resolveLineConfig({ labels: 62 }).labels).toBe(62);
  });

  it('the optional fields come out in one order, whatever the file says', () => {
    const one = resolveLineConfig({ labels: 62, strokeLines: 0.2 });
    const two = resolveLineConfig({ strokeLines: 0.2, labels: 62 });
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
  });

  describe.skipIf(!haveData)('prepareLines', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'hcr-line-identity-')), 'lines');
    const config = { counts: { train: 4, val: 2, test: 3 }, shardSize: 5 };
    let first: Awaited<ReturnType<typeof prepareLines>>;

    beforeAll(async () => {
      first = await prepareLines({ dataDir, config, outDir: out, workers: 0 });
    }, 60_000);

    it('`--labels 36` on the default lines is up to date, with the same manifest (it re-rendered them)', async () => {
      const again = await prepareLines({
        dataDir,
        config: { ...config, labels: 36 },
        outDir: out,
        workers: 0,
      });
      expect(again.upToDate).toBe(true);
      expect(again.manifestSha256).toBe(first.manifestSha256);
    }, 60_000);

    it('an up-to-date prepare removes the half-written folder an interrupted rebuild left beside it', async () => {
      const gone = spawnSync(process.execPath, ['-e', '']).pid;
      const left = join(out, '..', `.0123456789ab-${gone}.tmp-lines`);
      mkdirSync(left);
      const again = await prepareLines({ dataDir, config, outDir: out, workers: 0 });
      expect(again.upToDate).toBe(true);
      expect(existsSync(left)).toBe(false);
    }, 60_000);
  });
});
