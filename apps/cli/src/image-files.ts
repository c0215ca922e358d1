import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { HcrError } from '@hcr/core';

/** File extensions a folder is searched for: the formats the recogniser decodes (PNG, JPEG, WebP, TIFF, GIF, BMP, AVIF, HEIC). */
export const IMAGE_EXTENSIONS: readonly string[] = [
  '.png',
  '.jpg',
  '.jpeg',
  '.webp',
  '.tif',
  '.tiff',
  '.gif',
  '.bmp',
  '.avif',
  '.heic',
  '.heif',
];

const isImageName = (name: string) => IMAGE_EXTENSIONS.includes(extname(name).toLowerCase());

/** Images under `dir`, recursively, in name order; hidden entries (.git, .DS_Store) are skipped. */
async function imagesUnder(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const found: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) found.push(...(await imagesUnder(path)));
    else if ((e.isFile() || e.isSymbolicLink()) && isImageName(e.name)) found.push(path);
  }
  return found;
}

/**
 * The image files the command line names: each folder becomes the images under it (by extension,
 * recursively), each file stays as given, even when its extension is unusual or it does not exist (reading
 * it then reports the problem for that file alone). A folder without images is an error.
 */
export async function expandImageArgs(args: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    const isDir = await stat(arg).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir) {
      files.push(arg);
      continue;
    }
    const found = await imagesUnder(arg);
    if (found.length === 0)
      throw new HcrError(
        'NO_IMAGES',
        `The folder ${arg} has no images (${IMAGE_EXTENSIONS.join(', ')}) in it.`,
        {
          hint: 'Pass a folder with PNG, JPEG, WebP, TIFF, GIF, BMP, AVIF or HEIC files (subfolders are searched too), or the files themselves.',
        },
      );
    files.push(...found);
  }
  return files;
}

/** One image file's bytes, or FILE_MISSING naming the file (reported for that file alone). */
export function readImageFile(file: string): Promise<Buffer> {
  return readFile(file).catch((e: Error) => {
    throw new HcrError('FILE_MISSING', `Cannot read ${file}: ${e.message}.`, { hint: 'Check the path.' });
  });
}
