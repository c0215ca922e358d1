import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { datasetLock } from '@hcr/data';
import { describe, expect, it } from 'vitest';
import { handwritingSources, makeHandwritingFixtures } from './support/make-handwriting-fixtures.js';

const SCRIPT = fileURLToPath(new URL('./support/make-handwriting-fixtures.ts', import.meta.url));

/** A raw-data folder holding (empty) files named as the lock names them: only their presence is looked at. */
function dataDir(files: Record<string, string[]>) {
  const dir = mkdtempSync(join(tmpdir(), 'hcr-hw-data-'));
  for (const [dataset, roles] of Object.entries(files))
    for (const role of roles) {
      const name = datasetLock().datasets[dataset]!.files[role as 'test-images']!.name;
      mkdirSync(join(dir, dataset), { recursive: true });
      writeFileSync(join(dir, dataset, name), '');
    }
  return dir;
}

const TEST = ['test-images', 'test-labels'];
const ALL = ['train-images', 'train-labels', ...TEST];
/** No HCR_DATA_DIR and an empty user cache: only the folder passed is looked in. */
const opts = (dir: string) => ({ dataDir: dir, env: { XDG_CACHE_HOME: join(dir, 'no-cache') } });

describe('the handwriting photos choose their sources like hcr data prepare', () => {
  it('takes the offline repacks when only they are present', () => {
    const dir = dataDir({ 'emnist-letters-repack': TEST, 'emnist-digits-repack': TEST });
    expect(handwritingSources(opts(dir))).toEqual({
      letters: 'emnist-letters-repack',
      digits: 'emnist-digits-repack',
    });
  });

  it('takes the official EMNIST files (from hcr data download) when present', () => {
    const dir = dataDir({ 'emnist-letters': ALL, 'emnist-digits': TEST, 'emnist-letters-repack': TEST });
    expect(handwritingSources(opts(dir))).toEqual({ letters: 'emnist-letters', digits: 'emnist-digits' });
  });

  it('finds nothing without letters or without digits, and then makes no photos', async () => {
    expect(handwritingSources(opts(dataDir({})))).toBeUndefined();
    expect(handwritingSources(opts(dataDir({ 'emnist-letters-repack': TEST })))).toBeUndefined();
    expect(handwritingSources(opts(dataDir({ 'emnist-digits-repack': TEST })))).toBeUndefined();
    const out = join(mkdtempSync(join(tmpdir(), 'hcr-hw-out-')), 'photos');
    await expect(makeHandwritingFixtures(out, dataDir({}))).rejects.toMatchObject({
      code: 'DATA_FILE_MISSING',
    });
    expect(existsSync(out)).toBe(false);
  });

  it('as the vitest global setup runs it: without the raw files, one warning, exit 0, no photos', () => {
    const empty = dataDir({});
    const out = join(empty, 'photos');
    const run = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', SCRIPT, out], {
      cwd: dirname(SCRIPT),
      env: { ...process.env, HCR_DATA_DIR: empty, XDG_CACHE_HOME: join(empty, 'no-cache') },
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^warning: the handwriting photos .* not made\. No EMNIST .* in /);
    expect(lines[0]).toContain(empty);
    expect(existsSync(out)).toBe(false);
  });
});
