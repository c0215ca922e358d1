import { createReadStream, type Dirent } from 'node:fs';
import { open, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { HcrError } from '@hcr/core';
import {
  documentPages,
  IMAGE_FORMATS_TEXT,
  pageRef,
  parsePageList,
  parsePageRef,
  sniffImageFormat,
} from '@hcr/image/decode';
import { mib, notAFile, readCapped } from './flags.js';

/** File extensions a folder is searched for: the formats hcr decodes (PNG, JPEG, WebP, TIFF, GIF, BMP, AVIF, HEIC, PDF). */
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
  '.pdf',
];

/** One image to read: a file, or one page of a PDF or TIFF of several pages (named `file#page=N`). */
export interface ImageInput {
  /** What the outputs call it: the path, with `#page=N` for a page. */
  name: string;
  file: string;
  page?: number;
  /** Why it cannot be read (a folder that cannot be listed): reported as its row, as a file that cannot be read is. */
  error?: HcrError;
  /** The file's bytes when they were read while listing the inputs (a pipe, standard input: read once only). */
  bytes?: Uint8Array;
}

const isImageName = (name: string) => IMAGE_EXTENSIONS.includes(extname(name).toLowerCase());

/** A file found under a folder, or a folder under it that could not be listed (its error). */
interface Found {
  file: string;
  error?: HcrError;
}

/**
 * Images under `dir`, recursively, in name order; hidden entries (.git, .DS_Store) are skipped, linked folders
 * followed (a link back to a folder being searched is not). A folder that cannot be listed (no permission) is one
 * entry with its error, and the search goes on beside it.
 */
async function imagesUnder(dir: string, within: ReadonlySet<string> = new Set()): Promise<Found[]> {
  let listed: Dirent[];
  let real: string;
  try {
    real = await realpath(dir);
    listed = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    return [{ file: dir, error: unreadable(dir, e as NodeJS.ErrnoException, 'folder') }];
  }
  // The folders being searched, as real paths: a link back to one of them (a loop) is not followed again.
  const searching = new Set(within).add(real);
  const entries = listed
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const found: Found[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    // A symbolic link is followed: to a folder (searched as one, unless it loops back), to a file, or to
    // nothing (a broken link with an image's name: reading it says so).
    const target = e.isSymbolicLink() ? await stat(path).catch(() => undefined) : undefined;
    if (e.isDirectory() || target?.isDirectory()) {
      if (target && searching.has(await realpath(path))) continue;
      found.push(...(await imagesUnder(path, searching)));
    } else if ((e.isFile() || e.isSymbolicLink()) && isImageName(e.name)) found.push({ file: path });
  }
  return found;
}

/** Why a file or folder cannot be read, as one error naming it (permission denied, no such file, ...). */
export function unreadable(path: string, e: NodeJS.ErrnoException, kind: 'file' | 'folder'): HcrError {
  const verb = kind === 'folder' ? `Cannot list the folder ${path}` : `Cannot read ${path}`;
  if (e.code === 'EACCES' || e.code === 'EPERM')
    return new HcrError('PERMISSION_DENIED', `${verb}: permission denied.`, {
      hint: `Check its permissions (ls -ld ${path}), or run hcr as a user who may read it.`,
    });
  if (e.code === 'ENOENT' || e.code === 'ENOTDIR')
    return new HcrError('FILE_MISSING', `${verb}: no such ${kind}.`, { hint: 'Check the path.' });
  return new HcrError(kind === 'folder' ? 'FOLDER_UNREADABLE' : 'FILE_UNREADABLE', `${verb}: ${e.message}.`, {
    hint: 'Check the path.',
  });
}

/**
 * The images the command line names: each folder becomes the images under it (by extension, recursively),
 * each file stays as given, even when its extension is unusual or it does not exist (reading it then reports
 * the problem for that file alone), a PDF or TIFF of several pages becomes one image per page, and
 * `file.pdf#page=N` names one of them. A file that can be read only once (a pipe: `<(cat scan.pdf)`,
 * /dev/stdin; `-` is standard input) is read here, its bytes kept for its pages. A folder without images is an
 * input with its error (NO_IMAGES), as one that cannot be listed is; NO_IMAGES is thrown when all are such.
 */
export async function expandImageArgs(args: readonly string[]): Promise<ImageInput[]> {
  const inputs: ImageInput[] = [];
  const once = new Map<string, Promise<Source>>(); // `- -` or `/dev/stdin` twice: one read
  for (const { file, error } of await expandFileArgs(args)) {
    if (error) inputs.push({ name: file, file, error });
    else
      inputs.push(
        ...(await pagesOf(file, once).catch((e: unknown) => {
          if (e instanceof HcrError) throw e; // a page list that does not parse: a mistake on the command line
          return [{ name: file, file, error: unreadable(file, e as NodeJS.ErrnoException, 'file') }];
        })),
      );
  }
  // Only folders without images: nothing to read, so no model is loaded to say so row by row.
  const empty = inputs.find((i) => i.error?.code === 'NO_IMAGES');
  if (empty && inputs.every((i) => i.error?.code === 'NO_IMAGES')) throw empty.error;
  return inputs;
}

function noImages(folder: string): HcrError {
  return new HcrError(
    'NO_IMAGES',
    `The folder ${folder} has no images (${IMAGE_EXTENSIONS.join(', ')}) in it.`,
    {
      hint: `Pass a folder with ${IMAGE_FORMATS_TEXT} files (subfolders are searched too), or the files themselves.`,
    },
  );
}

/** `-` as an input: the image on standard input. */
export const STDIN = '-';
/** Standard input's names as a file: read from the stream (a socket, as Node gives a child, cannot be opened). */
const STDIN_FILES = new Set([STDIN, '/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);

/** A file's bytes, read here when it can be read only once; none for a file on disk; or why it cannot be read. */
type Source = { bytes?: Uint8Array; error?: HcrError };

/**
 * A pipe's bytes (`<(cat scan.pdf)`, /dev/stdin), or standard input's for `-`: they can be read once only, so
 * they are read now and kept (their format found from them, their pages drawn from them). A file on disk (or one
 * that does not exist) is read when its image is.
 */
function sourceOf(file: string, once: Map<string, Promise<Source>>): Promise<Source> {
  const key = STDIN_FILES.has(file) ? STDIN : file;
  let source = once.get(key);
  if (!source) {
    source = key === STDIN ? stdinSource(file) : pipeSource(file);
    once.set(key, source);
  }
  return source;
}

/** The largest image file read (a scan of many pages included): far above any photo or PDF hcr is given. */
export const IMAGE_FILE_MAX_BYTES = 256 * 1024 * 1024;

function tooLarge(file: string, size?: number): HcrError {
  const is = size === undefined ? 'is more than' : `is ${mib(size)}, more than`;
  return new HcrError(
    'FILE_TOO_LARGE',
    `Cannot read ${file}: it ${is} the ${mib(IMAGE_FILE_MAX_BYTES)} an image file may hold.`,
    {
      hint: 'Check the path, or split the document into smaller files.',
    },
  );
}

/** A device (/dev/zero, /dev/urandom) or socket given as an image: reading it would never end. */
function notAnImageFile(file: string, kind: string): HcrError {
  return new HcrError('NOT_A_FILE', `Cannot read ${file}: it is ${kind}, not a file.`, {
    hint: 'Pass an image file, or - to read one from standard input.',
  });
}

async function pipeSource(file: string): Promise<Source> {
  const s = await stat(file).catch(() => undefined);
  if (!s || s.isFile() || s.isDirectory()) return {};
  const kind = notAFile(s);
  if (kind) return { error: notAnImageFile(file, kind) };
  return readCapped(createReadStream(file), IMAGE_FILE_MAX_BYTES, () => tooLarge(file)).then(
    (bytes) => ({ bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) }),
    (e: NodeJS.ErrnoException) => ({ error: e instanceof HcrError ? e : unreadable(file, e, 'file') }),
  );
}

async function stdinSource(name: string): Promise<Source> {
  if (process.stdin.isTTY)
    return {
      error: new HcrError(
        'STDIN_IS_TERMINAL',
        `${name} reads an image from standard input, which is a terminal here.`,
        {
          hint: 'Send the image in (hcr read - < scan.png, or cat scan.png | hcr read -), or name its file.',
        },
      ),
    };
  let bytes: Buffer;
  try {
    // capped: `hcr read - < /dev/zero` would otherwise fill memory
    bytes = await readCapped(process.stdin, IMAGE_FILE_MAX_BYTES, () => tooLarge(name));
  } catch (e) {
    return { error: e instanceof HcrError ? e : unreadable(name, e as NodeJS.ErrnoException, 'file') };
  }
  return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/**
 * A file's pages: one input per page of a PDF or TIFF of several, else the file itself (its problems reported
 * when read).
 */
async function pagesOf(file: string, once: Map<string, Promise<Source>>): Promise<ImageInput[]> {
  // `scans.pdf#page=3` names one page (as hcr's rows do), `#page=1-3,5` or `#page=all` several, unless a file
  // of that very name exists.
  const named = /^(.*)#page=(.*)$/s.exec(file);
  if (named && !(await exists(file)) && (STDIN_FILES.has(named[1]!) || (await exists(named[1]!))))
    return listedPages(named[1]!, named[2]!, once);
  const { bytes, error } = await sourceOf(file, once);
  if (error) return [{ name: file, file, error }];
  const kept = bytes ? { bytes } : {};
  if (!(await mayHoldPages(file, bytes))) return [{ name: file, file, ...kept }];
  const pages = await pageCount(file, bytes);
  if (pages <= 1) return [{ name: file, file, ...kept }];
  return Array.from({ length: pages }, (_, i) => ({
    name: pageRef(file, i + 1),
    file,
    page: i + 1,
    ...kept,
  }));
}

/** A document's pages (1 for an image, or when it cannot be read: reading it says why). */
const pageCount = (file: string, bytes?: Uint8Array) =>
  (bytes ? Promise.resolve(bytes) : readImageBytes(file)).then(documentPages).catch(() => 1);

/** The pages `list` names of `file` (a page it lacks is reported when read, as BAD_PAGE for that row). */
async function listedPages(
  file: string,
  list: string,
  once: Map<string, Promise<Source>>,
): Promise<ImageInput[]> {
  const ref = parsePageRef(`${file}#page=${list}`);
  const source = async () => {
    const { bytes, error } = await sourceOf(file, once);
    return { bytes, kept: error ? { error } : bytes ? { bytes } : {} };
  };
  if (ref.page !== undefined)
    return [{ name: pageRef(file, ref.page), file, page: ref.page, ...(await source()).kept }];
  const parsed = parsePageList(list);
  if ('problem' in parsed)
    throw new HcrError('BAD_PAGE', `${file}#page=${list}: "${list}" ${parsed.problem}.`, {
      hint: `Name one page (${file}#page=2), several (#page=1-3,5) or every page (#page=all, or the file alone).`,
    });
  if (parsed.pages === 'all') return pagesOf(file, once);
  const { bytes, kept } = await source();
  const pages = await pageCount(file, bytes);
  // One page of an image with one: the image itself, named as the user did.
  if (pages <= 1 && parsed.pages.length === 1 && parsed.pages[0] === 1)
    return [{ name: pageRef(file, 1), file, ...kept }];
  return parsed.pages.map((page) => ({ name: pageRef(file, page), file, page, ...kept }));
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * A PDF or a TIFF, by its signature (what decoding will find, whatever the file's extension): from `bytes` when
 * they were read, else from the file's first bytes (false when it cannot be read: reading it says why).
 */
async function mayHoldPages(file: string, bytes?: Uint8Array): Promise<boolean> {
  const isDocument = (head: Uint8Array) => {
    const format = sniffImageFormat(head);
    return format === 'pdf' || format === 'tiff';
  };
  if (bytes) return isDocument(bytes.subarray(0, 32));
  const handle = await open(file).catch(() => undefined);
  if (!handle) return false;
  try {
    const head = Buffer.alloc(32);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return isDocument(head.subarray(0, bytesRead));
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}

async function expandFileArgs(args: readonly string[]): Promise<Found[]> {
  const files: Found[] = [];
  for (const arg of args) {
    const isDir = await stat(arg).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir) {
      files.push({ file: arg });
      continue;
    }
    const found = await imagesUnder(arg);
    // A folder without images is a row with its error, as a missing file is (the call fails when all are such).
    files.push(...(found.length ? found : [{ file: arg, error: noImages(arg) }]));
  }
  return files;
}

/**
 * One image's file bytes, or an error naming the file (FILE_MISSING, PERMISSION_DENIED; reported for that image
 * alone). A page of a PDF or TIFF is the whole file: read it with `pageOf(input)` in the limits, so that it is drawn where it is prepared.
 */
async function readImageFile(input: ImageInput): Promise<Uint8Array> {
  if (input.error) throw input.error;
  if (input.bytes) return input.bytes;
  return readImageBytes(input.file);
}

/** A file on disk's bytes, checked first: a regular file (not a device), of at most IMAGE_FILE_MAX_BYTES. */
async function readImageBytes(file: string): Promise<Uint8Array> {
  const s = await stat(file).catch((e: NodeJS.ErrnoException) => {
    throw unreadable(file, e, 'file');
  });
  const kind = notAFile(s);
  if (kind) throw notAnImageFile(file, kind);
  if (s.size > IMAGE_FILE_MAX_BYTES) throw tooLarge(file, s.size);
  return readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw unreadable(file, e, 'file');
  });
}

/**
 * readImageFile for a run over many inputs: the pages of a PDF or TIFF follow each other, so the file they share is
 * read once for all of them (the last file's bytes are kept until another file is asked for).
 */
export function imageFileReader(): (input: ImageInput) => Promise<Uint8Array> {
  let last: { file: string; bytes: Promise<Uint8Array> } | undefined;
  return (input) => {
    if (last?.file !== input.file) last = { file: input.file, bytes: readImageFile(input) };
    return last.bytes;
  };
}

/**
 * Names for the files `--debug` writes, one per input: a/1.png and b/1.png (from a folder) become 1 and 1-2, not
 * one file written twice; page 2 of scan.pdf is scan-page2.
 */
export function debugNamer(): (input: ImageInput) => string {
  const taken = new Set<string>();
  return (input) => {
    const base = `${basename(input.file, extname(input.file))}${input.page ? `-page${input.page}` : ''}`;
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}-${k}`;
    taken.add(name);
    return name;
  };
}

/** The decode limit naming an input's page (none for a file of one page). */
export function pageOf(input: ImageInput): { page?: number } {
  return input.page === undefined ? {} : { page: input.page };
}

/** An image's error as a row gives it: what went wrong and the fix, apart (JSON), as top-level errors are. */
export interface RowError {
  code: string;
  message: string;
  hint?: string;
}

/**
 * The fix for an image's error in the command line's words, where the library's hint names its own functions
 * (prepareTextLines) or the fix is another command.
 */
function cliHint(e: HcrError, command: 'predict' | 'read'): string | undefined {
  if (e.code === 'IMAGE_TOO_ELONGATED' && command === 'predict')
    return 'Crop the image to the one character; hcr read reads a word, number or line of writing.';
  if (e.code === 'SEVERAL_LINES' && command === 'read')
    return 'Read every line with --layout lines, or crop the image to the one field.';
  return e.hint;
}

/** An image's error for its row: the problem as the message, the fix (in the command's words) as the hint. */
export function rowError(e: HcrError, command: 'predict' | 'read'): RowError {
  const hint = cliHint(e, command);
  return { code: e.code, message: e.problem, ...(hint ? { hint } : {}) };
}

/** A row's error as one line of text or one CSV cell: the problem, then the fix. */
export function errorLine(error: RowError): string {
  return `${error.message}${error.hint ? ` ${error.hint}` : ''}`.replace(/\s*\n\s*/g, ' ');
}
