import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeGreyPng } from '@hcr/serve-onnx';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FIXTURE_MODEL } from '../../../packages/serve-onnx/test/support/models.js';
import { permissionRunner } from './support/as-other-user.js';

/** A dark vertical stroke on white paper, 56x56, PNG-encoded: a character the recogniser can read. */
function barPng(column: number): Promise<Uint8Array> {
  const pixels = new Uint8Array(56 * 56).fill(255);
  for (let y = 8; y < 48; y++) for (let x = column; x < column + 6; x++) pixels[y * 56 + x] = 0;
  return encodeGreyPng(pixels, 56, 56);
}

/** Rows of RFC 4180 CSV (quoted fields hold commas and doubled quotes, no newlines in these tests). */
const csvRows = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) =>
      [...l.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map((m) =>
        m[1]!.replace(/^"|"$/g, '').replaceAll('""', '"'),
      ),
    );

describe('hcr predict / read: one input that cannot be read does not stop the others', () => {
  const runner = permissionRunner();
  it.skipIf('skip' in runner)(
    `a subfolder that cannot be listed and a file that cannot be read are rows saying permission denied${'skip' in runner ? ` (skipped: ${runner.skip})` : ''}`,
    async () => {
      if ('skip' in runner) return;
      const root = mkdtempSync(join(tmpdir(), 'hcr-perm-'));
      for (const d of ['locked', 'ok']) mkdirSync(join(root, d));
      writeFileSync(join(root, 'ok/a.png'), await barPng(20));
      writeFileSync(join(root, 'locked/b.png'), await barPng(20));
      writeFileSync(join(root, 'secret.png'), await barPng(20));
      chmodSync(join(root, 'ok/a.png'), 0o644);
      chmodSync(join(root, 'ok'), 0o755);
      chmodSync(join(root, 'locked'), 0);
      chmodSync(join(root, 'secret.png'), 0);
      onTestFinished(() => chmodSync(join(root, 'locked'), 0o700)); // so that the run's temp dir can be removed
      const csv = await runner.run(root, 'predict', root, '--model', FIXTURE_MODEL, '--format', 'csv');
      expect(csv.code, csv.err).toBe(1);
      const rows = csvRows(csv.out);
      expect(rows.map((r) => r[0])).toEqual([
        'file',
        join(root, 'locked'),
        join(root, 'ok/a.png'),
        join(root, 'secret.png'),
      ]);
      expect(rows[1]!.at(-1)).toMatch(/^Cannot list the folder .*locked: permission denied\./);
      expect(rows[2]![1]).toMatch(/^[0-9A-Z]$/);
      expect(rows[3]!.at(-1)).toMatch(/^Cannot read .*secret\.png: permission denied\./);
      expect(csv.out).not.toContain('Check the path');
      const json = await runner.run(
        root,
        'predict',
        join(root, 'locked'),
        '--model',
        FIXTURE_MODEL,
        '--json',
      );
      expect(json.code).toBe(1);
      expect(JSON.parse(json.out).results).toEqual([
        { file: join(root, 'locked'), error: expect.objectContaining({ code: 'PERMISSION_DENIED' }) },
      ]);
    },
  );
});
