import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetLock } from '../src/lock.js';

/** HCR_DATASET_LOCK at a file that is not a lock: an error naming the variable, not ENOENT or a TypeError. */
describe('HCR_DATASET_LOCK', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hcr-lock-'));
  const at = (name: string, text?: string) => {
    const path = join(dir, name);
    if (text !== undefined) writeFileSync(path, text);
    return { HCR_DATASET_LOCK: path };
  };

  it.each([
    ['missing.json', undefined, /names \S+missing\.json, which cannot be read \(ENOENT\)/],
    ['bad.json', '{bad', /names \S+bad\.json, which is not valid JSON/],
    ['empty.json', '{}', /names \S+empty\.json, which has no "datasets" object/],
    ['null.json', 'null', /names \S+null\.json, which has no "datasets" object/],
  ])('%s is DATASET_LOCK naming it and the fix', (name, text, problem) => {
    let err: unknown;
    try {
      datasetLock(at(name, text));
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'DATASET_LOCK', problem: expect.stringMatching(problem) });
    expect((err as { hint: string }).hint).toMatch(/^Point HCR_DATASET_LOCK at a lock .* or unset it/);
  });

  it('a lock of the right shape is read', () => {
    expect(datasetLock(at('ok.json', '{"formatVersion": 1, "datasets": {}}')).datasets).toEqual({});
  });
});
