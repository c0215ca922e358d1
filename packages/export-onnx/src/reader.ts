import { HcrError, type LineReaderInfo, type ModelMetadata } from '@hcr/core';

type Shape = readonly (number | null)[];

/**
 * The LineReaderInfo of a line reader's metadata (`task: 'line'`), checked against the model it
 * describes; null for any other model. A reader whose metadata disagrees with its shapes would decode
 * to wrong characters downstream, so that is an error here, before anything is written.
 */
export function lineReaderInfo(
  meta: Partial<ModelMetadata> | null,
  file: string,
  input: Shape | undefined,
  output: Shape | undefined,
): LineReaderInfo | null {
  if (meta?.task !== 'line') return null;
  const bad = (problem: string, hint: string): HcrError =>
    new HcrError('METADATA_INVALID', `${file}: ${problem}; nothing was written.`, { hint });
  const fix =
    "Save the reader with @hcr/model's saveModel and its metadata (task 'line', reader: { alphabetId, symbols, height, stride, minWidth }).";
  const r = meta.reader;
  if (!r || typeof r !== 'object') throw bad("task is 'line' but there is no 'reader' entry", fix);
  if (!Array.isArray(r.symbols) || r.symbols.length < 2 || r.symbols[0] !== '') {
    throw bad("reader.symbols must list the output symbols with the CTC blank ('') first", fix);
  }
  for (const key of ['height', 'stride', 'minWidth'] as const) {
    if (!Number.isInteger(r[key]) || r[key] <= 0)
      throw bad(`reader.${key} is ${r[key]}, not a positive integer`, fix);
  }
  if (input && (input.length !== 4 || input[1] !== r.height || input[3] !== 1)) {
    throw bad(
      `the model takes [${input.map((d) => d ?? '?').join(', ')}], not lines [n, ${r.height}, width, 1] (reader.height ${r.height})`,
      'Export the reader the metadata was written for, or fix reader.height.',
    );
  }
  const classes = output?.[output.length - 1];
  if (output && classes !== r.symbols.length) {
    throw bad(
      `the model has ${classes ?? 'an unknown number of'} outputs per frame, but reader.symbols lists ${r.symbols.length}`,
      'The alphabet in metadata.json must be the one the reader was built with (buildReader({ classes: alphabet.size })).',
    );
  }
  return r;
}
