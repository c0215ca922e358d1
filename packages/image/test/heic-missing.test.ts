import { readFile } from 'node:fs/promises';
import { expect, it, vi } from 'vitest';

// An install without optional dependencies (npm i --omit=optional): heic-decode cannot be imported.
vi.mock('heic-decode', () => {
  throw new Error("Cannot find package 'heic-decode'");
});

it('names the missing optional HEIC decoder and the two ways out, and still reads other formats', async () => {
  const { decodeImage } = await import('../src/decode/index.js');
  const heic = await readFile(new URL('./support/scan.heic', import.meta.url));
  const refused = decodeImage(heic);
  await expect(refused).rejects.toMatchObject({
    code: 'IMAGE_UNDECODABLE',
    message: expect.stringMatching(/HEIC decoder \(the optional package heic-decode\) is not installed/),
    hint: expect.stringMatching(/npm i heic-decode@2\.1\.0.*or send JPEG/),
  });
  // Asked again, it tries the import again (installed meanwhile?) and says the same.
  await expect(decodeImage(heic)).rejects.toMatchObject({ code: 'IMAGE_UNDECODABLE' });
  const sharp = (await import('sharp')).default;
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
    .png()
    .toBuffer();
  expect((await decodeImage(png)).format).toBe('png');
});
