import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { HcrError } from '@hcr/core';

/**
 * A word list file: one word (or phrase of words separated by spaces) per line, UTF-8; blank lines and
 * lines starting with # are skipped. A missing or empty file is an error naming it.
 */
export async function readLexiconFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new HcrError('LEXICON_MISSING', `Cannot read the lexicon file ${path}: ${(e as Error).message}.`, {
      hint: 'Check the path; a lexicon is a text file with one word per line.',
      cause: e,
    });
  }
  const words = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
  if (words.length === 0)
    throw new HcrError('LEXICON_EMPTY', `The lexicon file ${path} has no words.`, {
      hint: 'Put one word per line in it (blank lines and # comments are skipped).',
    });
  return words;
}

/** `name=FILE` (as `hcr serve --lexicon` takes it) or a bare FILE named after its base name. */
export function parseLexiconSpec(spec: string): { name: string; file: string } {
  const m = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(spec);
  if (m) return { name: m[1]!, file: m[2]! };
  if (spec.includes('=') || spec.trim() === '')
    throw new HcrError('LEXICON_INVALID', `'${spec}' is not NAME=FILE.`, {
      hint: 'Use e.g. --lexicon surnames=surnames.txt (name: letters, digits, _ . -).',
    });
  return { name: basename(spec, extname(spec)).replace(/[^A-Za-z0-9_.-]/g, '_'), file: spec };
}

/** Loads several `name=FILE` specs into the `lexicons` option of createLineReader. */
export async function loadLexicons(specs: readonly string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const spec of specs) {
    const { name, file } = parseLexiconSpec(spec);
    if (out[name])
      throw new HcrError('LEXICON_INVALID', `Two lexicons are named '${name}'.`, {
        hint: 'Give each --lexicon its own name: --lexicon a=FILE --lexicon b=FILE.',
      });
    out[name] = await readLexiconFile(file);
  }
  return out;
}
