import { createReadStream, existsSync, type Stats, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { HcrError } from '@hcr/core';

/** A whole number from 1 to `max` (any, when Infinity) for a CLI flag's parser, or an error naming the flag. */
export function rangeInt(flag: string, max: number) {
  return (v: string): number => wholeNumber(flag, v, 1, max);
}

/** A decimal number as typed: Number() alone also reads '0x10' (16), '0b11', '' (0) and '1e400' (Infinity). */
export const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** Bounds of a decimal flag: `above` / `below` leave `min` / `max` themselves out. */
export interface DecimalRange {
  min: number;
  max: number;
  above?: boolean;
  below?: boolean;
  /** what the flag takes, in the error ("a share of the lines from 0 to 0.5"); default "a number from min to max" */
  what?: string;
  /** a value the hint offers: "Pass e.g. <flag> <example>." */
  example: string;
  hint?: string;
}

/** A flag's decimal number within `range`, or a BAD_OPTION error naming the flag, what it takes and an example. */
export function decimalNumber(flag: string, v: string, range: DecimalRange): number {
  const x = Number(v);
  const { min, max, above, below } = range;
  const inRange = (above ? x > min : x >= min) && (below ? x < max : x <= max);
  if (DECIMAL.test(v) && Number.isFinite(x) && inRange) return x;
  throw new HcrError(
    'BAD_OPTION',
    `${flag} must be ${range.what ?? `a number from ${min} to ${max}`}, got '${v}'.`,
    {
      hint: range.hint ?? `Pass e.g. ${flag} ${range.example}.`,
    },
  );
}

/** `--min-confidence`: a probability from 0 to 1, or an error naming the flag. */
export function minConfidenceFlag(v: string): number {
  return decimalNumber('--min-confidence', v, {
    min: 0,
    max: 1,
    example: '0.8',
    hint: 'Pass e.g. --min-confidence 0.8 (below it: no confident answer, to check by hand).',
  });
}

/** A flag's value among `allowed`, or an error naming the flag and the values it takes. */
export function oneOf<T extends string>(
  flag: string,
  v: string,
  allowed: readonly T[],
  example = allowed[0],
): T {
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new HcrError('BAD_OPTION', `${flag} must be one of ${allowed.join(', ')}, got '${v}'.`, {
    hint: `Pass e.g. ${flag} ${example}.`,
  });
}

/** A flag's whole number from `min` to `max` (no bound when Infinity), or an error naming the flag. */
export function wholeNumber(
  flag: string,
  v: string,
  min: number,
  max: number,
  example = Math.min(Math.max(min, 5), max),
): number {
  const n = Number(v);
  if (/^\s*\d+\s*$/.test(v) && n >= min && n <= max) return n;
  const range = Number.isFinite(max) ? `from ${min} to ${max}` : `of at least ${min}`;
  throw new HcrError('BAD_OPTION', `${flag} must be a whole number ${range}, got '${v}'.`, {
    hint: `Pass e.g. ${flag} ${example}.`,
  });
}

/** A comma-separated flag value: `a, b,c` -> ['a', 'b', 'c'] (blanks dropped). */
export function commaList(v: string): string[] {
  return v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/**
 * A default file of the repository (`artifacts/model/reader/model.onnx`): where the command runs when it is there,
 * else in the nearest folder above that holds it, up to the workspace root (the folder with pnpm-workspace.yaml),
 * so that `hcr read` finds the pipeline's models from a subfolder of the repository too. Outside a workspace only
 * the folder the command runs in is looked in. A path given on the command line stays relative to where it runs.
 */
export function findDefault(
  path: string,
  from = process.cwd(),
): { found?: string; lookedAt: string; inWorkspace: boolean } {
  const folders = [resolve(from)];
  let inWorkspace = true;
  for (let dir = folders[0]!; !existsSync(join(dir, 'pnpm-workspace.yaml')); ) {
    const up = dirname(dir);
    if (up === dir) {
      folders.splice(1); // not in a workspace: here only
      inWorkspace = false;
      break;
    }
    dir = up;
    folders.push(dir);
  }
  const found = folders.find((dir) => existsSync(join(dir, path)));
  if (found === undefined) return { lookedAt: join(folders.at(-1)!, path), inWorkspace };
  return { found: found === folders[0] ? path : join(found, path), lookedAt: join(found, path), inWorkspace };
}

/**
 * findDefault for a model a command reads by default, or MODEL_MISSING naming the absolute path looked for last
 * (the workspace root's) and what to do.
 */
export function defaultModel(path: string, what: string, env: string, flag = '--model'): string {
  const { found, lookedAt, inWorkspace } = findDefault(path);
  if (found !== undefined) return found;
  const where = inWorkspace ? ' and the folders above it up to the repository root' : '';
  throw new HcrError(
    'MODEL_MISSING',
    `No ${what} at ${lookedAt} (the default ${path}, looked for in ${process.cwd()}${where}).`,
    {
      hint: `Run from the repository root, or pass ${flag} <file.onnx> (or set ${env}); \`pnpm turbo run train eval\` trains and exports the pipeline's models.`,
    },
  );
}

/**
 * The file a flag names for the command to write (`-o preview.png`), checked before the work that makes it: not a
 * folder (OUTPUT_IS_DIRECTORY), and not under a file (OUTPUT_NOT_WRITABLE); missing folders are made when written.
 */
export function assertOutputFile(given: string, flag: string, example: string): void {
  const path = resolve(given);
  if (isFolder(path))
    throw new HcrError('OUTPUT_IS_DIRECTORY', `${path} is a directory; ${flag} names the file to write.`, {
      hint: `Pass a file name, e.g. ${flag} ${join(given, example)}.`,
    });
  assertNotUnderFile(path, given, flag);
}

/**
 * The folder a flag names for the command to write files into (`--debug dir`), checked before the work: not a file
 * (OUTPUT_NOT_A_FOLDER), nor under one; made when missing.
 */
export function assertOutputFolder(given: string, flag: string): void {
  const path = resolve(given);
  if (existsSync(path) && !isFolder(path))
    throw new HcrError('OUTPUT_NOT_A_FOLDER', `${path} is a file; ${flag} names the folder to write into.`, {
      hint: `Pass a folder (it is made when missing), e.g. ${flag} ${given}-files.`,
    });
  assertNotUnderFile(path, given, flag);
}

const isFolder = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** OUTPUT_NOT_WRITABLE when the nearest existing folder above `path` is a file (`-o notes.txt/x.png`). */
function assertNotUnderFile(path: string, given: string, flag: string): void {
  let above = dirname(path);
  while (!existsSync(above) && dirname(above) !== above) above = dirname(above);
  if (!isFolder(above))
    throw new HcrError(
      'OUTPUT_NOT_WRITABLE',
      `${flag} ${given}: ${above} is a file, not a folder to write in.`,
      {
        hint: `Pass ${flag} a path whose folders are folders.`,
      },
    );
}

/** The most a file a flag names may hold (a token file, a certificate, a word list): such files are small. */
export const FLAG_FILE_MAX_BYTES = 64 * 1024 * 1024;

/** A size in MiB, as errors name it. */
export const mib = (bytes: number) =>
  `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MiB`;

/** What a path that is not a regular file is, for errors ('a character device'); undefined for a file or a pipe. */
export function notAFile(s: Stats): string | undefined {
  if (s.isFile() || s.isFIFO()) return undefined;
  if (s.isDirectory()) return 'a directory';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * A stream's bytes, at most `max` of them: a pipe (`<(cat x)`, standard input) can be endless (`< /dev/zero`), so
 * reading stops past the cap with `tooLarge()`'s error instead of filling memory.
 */
export async function readCapped(
  stream: AsyncIterable<Buffer | string>,
  max: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > max) {
      (stream as { destroy?: () => void }).destroy?.();
      throw tooLarge();
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/**
 * A file a flag names, checked before it is read: a device (/dev/zero), socket or folder is NOT_A_FILE (reading
 * one never ends, or fails), one above FLAG_FILE_MAX_BYTES is FILE_TOO_LARGE. Its stat, or undefined when it
 * cannot be stat'ed (reading it then says why).
 */
export async function checkFlagFile(flag: string, file: string): Promise<Stats | undefined> {
  const path = resolve(file);
  const s = await stat(file).catch(() => undefined);
  if (s === undefined) return undefined;
  const kind = notAFile(s);
  if (kind)
    throw new HcrError('NOT_A_FILE', `${flag} ${path} is ${kind}, not a file.`, {
      hint: `Pass ${flag} the path of a file on disk.`,
    });
  if (s.size > FLAG_FILE_MAX_BYTES) throw flagFileTooLarge(flag, path, s.size);
  return s;
}

function flagFileTooLarge(flag: string, path: string, size?: number): HcrError {
  const is = size === undefined ? 'is more than' : `is ${mib(size)}, more than`;
  return new HcrError(
    'FILE_TOO_LARGE',
    `${flag} ${path} ${is} the ${mib(FLAG_FILE_MAX_BYTES)} ${flag} reads.`,
    {
      hint: `Check the path: ${flag} names a small text file.`,
    },
  );
}

/** A file a flag names, checked (checkFlagFile) and read; one that cannot be read is `code`, naming the flag, the path and why. */
export async function readFlagFile(flag: string, file: string, code: string, hint: string): Promise<Buffer> {
  const path = resolve(file);
  const s = await checkFlagFile(flag, file);
  // a pipe's size is unknown until read: read it with the cap (a regular file is known to be within it)
  const read = s?.isFIFO()
    ? readCapped(createReadStream(file), FLAG_FILE_MAX_BYTES, () => flagFileTooLarge(flag, path))
    : readFile(file);
  return read.catch((e: NodeJS.ErrnoException) => {
    if (e instanceof HcrError) throw e;
    throw new HcrError(code, `${flag} ${path} cannot be read (${e.code ?? e.message}).`, { hint, cause: e });
  });
}
