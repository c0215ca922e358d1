import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** The next rename onto this path fails once (ENOTEMPTY), as when another writer put a folder there. */
let failInto: string | undefined;
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    rename: async (from: string, to: string) => {
      if (to === failInto) {
        failInto = undefined;
        throw Object.assign(new Error(`ENOTEMPTY: directory not empty, rename '${from}' -> '${to}'`), {
          code: 'ENOTEMPTY',
        });
      }
      return real.rename(from, to);
    },
  };
});

const { writeDirAtomic } = await import('../src/fs.js');

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'hcr-fs-replace-'));
});
afterEach(async () => {
  failInto = undefined;
  await rm(root, { recursive: true, force: true });
});

describe('writeDirAtomic with replace, when the new folder cannot be moved into place', () => {
  it('says another writer took the place (OUTPUT_CONFLICT) and puts the old folder back, not under a temp name', async () => {
    const target = join(root, 'report');
    await mkdir(target);
    await writeFile(join(target, 'eval.json'), 'old');
    failInto = target;
    await expect(
      writeDirAtomic(target, async (tmp) => writeFile(join(tmp, 'eval.json'), 'new'), { replace: true }),
    ).rejects.toMatchObject({ code: 'OUTPUT_CONFLICT', cause: { code: 'ENOTEMPTY' } });
    expect(await readFile(join(target, 'eval.json'), 'utf8')).toBe('old');
    expect(await readdir(root)).toEqual(['report']);
  });
});
