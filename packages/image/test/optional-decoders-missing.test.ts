import { readFile } from 'node:fs/promises';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { expect, it, vi } from 'vitest';

// An install without optional dependencies (npm i --omit=optional): neither decoder can be imported.
vi.mock('heic-decode', () => {
  throw new Error("Cannot find package 'heic-decode'");
});
vi.mock('pdfjs-dist/legacy/build/pdf.mjs', () => {
  throw new Error("Cannot find package 'pdfjs-dist'");
});

it('names a missing optional decoder (HEIC, PDF) and the ways out, and still reads other formats', async () => {
  const { decodeImage, documentPages } = await import('../src/decode/index.js');
  const heic = await readFile(new URL('./support/scan.heic', import.meta.url));
  await expect(decodeImage(heic)).rejects.toMatchObject({
    code: 'IMAGE_UNDECODABLE',
    message: expect.stringMatching(/HEIC decoder \(the optional package heic-decode\) is not installed/),
    hint: expect.stringMatching(/npm i heic-decode@2\.1\.0.*or send JPEG/),
  });
  // Asked again, it tries the import again (installed meanwhile?) and says the same.
  await expect(decodeImage(heic)).rejects.toMatchObject({ code: 'IMAGE_UNDECODABLE' });
  const doc = await PDFDocument.create();
  doc.addPage([100, 50]);
  const pdf = await doc.save();
  // Each call made only when awaited: a second rejection waiting its turn would go unhandled.
  for (const attempt of [() => decodeImage(pdf), () => documentPages(pdf)])
    await expect(attempt()).rejects.toMatchObject({
      code: 'IMAGE_UNDECODABLE',
      message: expect.stringMatching(/PDF renderer \(the optional package pdfjs-dist\) is not installed/),
      hint: expect.stringMatching(/npm i pdfjs-dist@5\.4\.624.*export the page as PNG/),
    });
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
    .png()
    .toBuffer();
  expect((await decodeImage(png)).format).toBe('png');
});
