import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageFileReader } from '../src/image-files.js';

describe('imageFileReader (hcr read / predict over the pages of documents)', () => {
  it('reads a document once for its pages, each other file for itself, and names a missing file for each of its pages', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hcr-files-'));
    const [doc, other] = [join(dir, 'scan.pdf'), join(dir, 'b.png')];
    await writeFile(doc, 'the document');
    await writeFile(other, 'another image');
    const read = imageFileReader();
    const page1 = await read({ name: `${doc}#page=1`, file: doc, page: 1 });
    const page2 = await read({ name: `${doc}#page=2`, file: doc, page: 2 });
    expect(page2).toBe(page1); // the same bytes, not a second read
    expect(Buffer.from(page1).toString()).toBe('the document');
    expect(Buffer.from(await read({ name: other, file: other })).toString()).toBe('another image');
    const missing = join(dir, 'gone.pdf');
    for (const page of [1, 2])
      await expect(read({ name: `${missing}#page=${page}`, file: missing, page })).rejects.toMatchObject({
        code: 'FILE_MISSING',
        message: expect.stringMatching(/Cannot read .*gone\.pdf/),
      });
  });
});
