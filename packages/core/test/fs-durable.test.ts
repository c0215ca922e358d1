import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** What reached the disk, in order: a temp's data flushed (`sync`) and renames. */
const events: string[] = [];
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>) => {
      const handle = await real.open(...args);
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        events.push(`sync ${String(args[0]).split('/').pop()}`);
        return sync();
      };
      return handle;
    },
    rename: async (from: string, to: string) => {
      events.push(`rename ${from.split('/').pop()} -> ${to.split('/').pop()}`);
      return real.rename(from, to);
    },
  };
});

const { writeFileAtomic, writeJsonAtomic } = await import('../src/fs.js');

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'hcr-fs-durable-'));
  events.length = 0;
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('writeFileAtomic on a power cut', () => {
  it('flushes the temp to disk before renaming it into place', async () => {
    await writeFileAtomic(join(root, 'model.onnx'), new Uint8Array([1, 2, 3]));
    await writeJsonAtomic(join(root, 'metadata.json'), { a: 1 });
    expect(events).toHaveLength(4);
    expect(events[0]).toMatch(/^sync \..*\.tmp-model\.onnx$/);
    expect(events[1]).toMatch(/^rename \..*\.tmp-model\.onnx -> model\.onnx$/);
    expect(events[2]).toMatch(/^sync \..*\.tmp-metadata\.json$/);
    expect(events[3]).toMatch(/ -> metadata\.json$/);
    expect(JSON.parse(await readFile(join(root, 'metadata.json'), 'utf8'))).toEqual({ a: 1 });
  });
});
