import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  canonicalLineText,
  encodeLineText,
  foldAccents,
  HcrError,
  type LineAlphabet,
  writeFileAtomic,
} from '@hcr/core';
import { sniffImageFormat } from '@hcr/image/decode';

/** What `SampleStore.add` did: the row of labels.tsv it wrote, and how many rows the folder holds now. */
export interface AddedSample {
  /** The image's path in labels.tsv (`images/<sha256 prefix>.<format>`). */
  file: string;
  /** The transcription as stored. */
  text: string;
  /** The same image was saved before: its row now holds this text (the latest correction wins). */
  replaced: boolean;
  /** Rows in labels.tsv. */
  examples: number;
}

/** Checks an image before it is kept, e.g. that it holds writing a reader can be trained on (throws when not). */
export type SampleCheck = (bytes: Uint8Array) => Promise<unknown>;

/**
 * A folder of labelled lines that grows one corrected example at a time: the layout `hcr data lines import` and
 * `hcr finetune` read (labels.tsv: `images/<file>` TAB `<text>` per row, and images/). Each image is stored once
 * under a name from its sha256; labels.tsv is rewritten whole through a temp file, one change at a time, so a
 * crash never leaves half a row.
 */
export class SampleStore {
  readonly folder: string;
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * `maxExamples`: rows labels.tsv may hold (default no limit); a new image past it is `COLLECT_FULL`, a
   * correction of a kept one still lands. A server open to others bounds its disk use with it.
   */
  constructor(
    folder: string,
    readonly alphabet: LineAlphabet,
    private readonly check?: SampleCheck,
    readonly maxExamples = Number.POSITIVE_INFINITY,
  ) {
    if (!(maxExamples >= 1 && (Number.isInteger(maxExamples) || maxExamples === Number.POSITIVE_INFINITY)))
      throw new HcrError(
        'BAD_OPTIONS',
        `maxExamples must be a whole number of 1 or more, not ${maxExamples}.`,
      );
    this.folder = resolve(folder);
  }

  /** Keeps `bytes` (an image of one line) labelled `text`; a text or image the reader cannot learn from is refused. */
  async add(bytes: Uint8Array, text: string): Promise<AddedSample> {
    const stored = this.checkText(text);
    const format = sniffImageFormat(bytes);
    if (!format || format === 'pdf' || format === 'tiff')
      throw new HcrError(
        'SAMPLE_IMAGE_INVALID',
        'The example is not an image of one line (PNG, JPEG, WebP, GIF, BMP, AVIF or HEIC).',
        {
          hint: 'Send the image of the line that was read, e.g. the PNG the page drew.',
        },
      );
    const name = `images/${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.${format === 'jpeg' ? 'jpg' : format}`;
    // the image is checked (the reader's preprocessing, in its worker) before it joins the queue: only the folder's
    // files change one example at a time, and examples sent together are prepared side by side
    await this.check?.(bytes);
    const run = async () => {
      const rows = await this.rows();
      const at = rows.findIndex((r) => r.file === name);
      // checked before the image is written: a full folder keeps nothing more
      if (at < 0 && rows.length >= this.maxExamples)
        throw new HcrError(
          'COLLECT_FULL',
          `${this.folder} holds ${rows.length} examples, the most this server keeps.`,
          {
            hint: `Fine-tune on them (\`hcr finetune ${this.folder}\`), then collect into another folder, or restart with a larger --collect-max.`,
          },
        );
      await mkdir(join(this.folder, 'images'), { recursive: true });
      await writeFileAtomic(join(this.folder, name), bytes);
      if (at >= 0) rows[at] = { file: name, text: stored };
      else rows.push({ file: name, text: stored });
      await writeFileAtomic(
        join(this.folder, 'labels.tsv'),
        rows.map((r) => `${r.file}\t${r.text}\n`).join(''),
      );
      return { file: name, text: stored, replaced: at >= 0, examples: rows.length };
    };
    // one change to labels.tsv at a time: two examples sent together both land
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return await next;
  }

  /** Rows of labels.tsv (none before the first example). */
  async rows(): Promise<{ file: string; text: string }[]> {
    const text = await readFile(join(this.folder, 'labels.tsv'), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return '';
      throw e;
    });
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, i) => {
        const tab = line.indexOf('\t');
        if (tab < 0)
          throw new HcrError(
            'SAMPLE_FOLDER_INVALID',
            `Line ${i + 1} of ${join(this.folder, 'labels.tsv')} has no TAB.`,
            {
              hint: 'Fix that line (`images/<file>` TAB `<text>`), or collect into another folder.',
            },
          );
        return { file: line.slice(0, tab), text: line.slice(tab + 1) };
      });
  }

  /** The text as labels.tsv keeps it (spaces tidied), or an error naming what the reader's alphabet lacks. */
  private checkText(text: string): string {
    const stored = text.replace(/\s+/g, ' ').trim();
    if (!stored)
      throw new HcrError('SAMPLE_TEXT_EMPTY', 'The example has no text.', {
        hint: 'Send the text written in the image (`text`), corrected where the reader got it wrong.',
      });
    // accents are folded at import (LÉA is LEA): only what no reader of this alphabet could learn is refused
    const folded = foldAccents(stored);
    try {
      encodeLineText(canonicalLineText(folded, this.alphabet), this.alphabet);
    } catch (e) {
      if (!(e instanceof HcrError)) throw e;
      throw new HcrError('SAMPLE_TEXT_OUTSIDE_ALPHABET', e.problem, {
        hint: `Write the text in the reader's characters: ${this.alphabet.symbols.slice(1).join('')}.`,
      });
    }
    return stored;
  }
}
