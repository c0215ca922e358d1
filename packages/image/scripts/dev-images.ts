/** Dev-only helpers: find and decode the real dev sets (../shared/data from the repo root or HCR_DATA_DIR). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import type { GreyImage } from '../src/index.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export function sharedDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HCR_DATA_DIR ? resolve(env.HCR_DATA_DIR) : resolve(REPO_ROOT, '../shared/data');
}

export interface DevItem {
  file: string;
  label: string;
}

/** The labelled images of one dev set, or undefined when the folder is not there. */
export function devSet(
  name: 'handwritten-names-dev' | 'handwritten-amounts-dev',
): { dir: string; items: DevItem[] } | undefined {
  const dir = join(sharedDataDir(), name);
  const tsv = join(dir, 'labels.tsv');
  if (!existsSync(tsv)) return undefined;
  const items = readFileSync(tsv, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [file, label] = l.split('\t');
      return { file: join(dir, file), label: label ?? '' };
    });
  return { dir, items };
}

/** Decodes a JPEG/PNG to RGBA through @napi-rs/canvas. */
export async function decodeImage(file: string): Promise<GreyImage> {
  const im = await loadImage(readFileSync(file));
  const c = createCanvas(im.width, im.height);
  const g = c.getContext('2d');
  g.drawImage(im, 0, 0);
  const d = g.getImageData(0, 0, im.width, im.height);
  return { width: im.width, height: im.height, data: new Uint8Array(d.data.buffer), channels: 4 };
}
