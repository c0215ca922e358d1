import { HcrError, LABEL_SPACE_36, LABEL_SPACES, type LabelSpace, type ModelMetadata } from '@hcr/core';

/** The metadata.json format this package reads and writes (`ModelMetadata.formatVersion`). */
export const METADATA_FORMAT_VERSION = 1;

/** What to do about a metadata.json that was read and is wrong. */
const RESTORE_HINT =
  "Restore metadata.json from the model's training run (the directory `hcr train` wrote), or re-train (`hcr train`).";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isPositiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

/**
 * Checks the fields a reader of a saved model relies on and returns the metadata typed; anything else is
 * `METADATA_INVALID` naming `file`, what is wrong, and `hint` (default: restore it or re-train).
 *
 * - `formatVersion` 1 (a newer one: upgrade).
 * - `labelSpace` one of @hcr/core's LABEL_SPACES; absent means `hcr36` (metadata written before label spaces).
 * - `task` absent, `character` or `line`.
 * - `classNames` strings, one per model output: a character model's label space's classes, in their order; a line reader's
 *   alphabet, blank included, the same list as `reader.symbols`.
 * - line readers: `reader` {alphabetId, symbols ('' first, then one character each, none twice), height, stride, minWidth}.
 * - `inputShape` [h, w, c] of positive integers (a line reader's width may be -1: free).
 * - `inputNormalisation` {mean, std > 0}.
 *
 * Optional fields (uid, modelVersion, calibration, ...) and descriptive ones are not checked.
 */
export function checkMetadata(value: unknown, file: string, hint: string = RESTORE_HINT): ModelMetadata {
  const invalid = (problem: string, fix = hint) =>
    new HcrError('METADATA_INVALID', `${file} ${problem}`, { hint: fix });
  if (!isObject(value)) throw invalid(`holds ${show(value)}, not a JSON object of model metadata.`);
  const m = value;
  if (m.formatVersion !== METADATA_FORMAT_VERSION)
    throw invalid(
      `has formatVersion ${show(m.formatVersion)}; this version of @hcr/model reads format ${METADATA_FORMAT_VERSION}.`,
      typeof m.formatVersion === 'number' && m.formatVersion > METADATA_FORMAT_VERSION
        ? 'It was written by a newer hcr: upgrade @hcr/model (and the hcr CLI) to read it.'
        : hint,
    );
  if (m.task !== undefined && m.task !== 'character' && m.task !== 'line')
    throw invalid(`has task ${show(m.task)}; a model's task is 'character' (the default) or 'line'.`);
  // Metadata from before label spaces could be chosen has no labelSpace: it is hcr36.
  const space: LabelSpace | undefined =
    m.labelSpace === undefined ? LABEL_SPACE_36 : LABEL_SPACES.find((s) => s.id === m.labelSpace);
  if (!space)
    throw invalid(
      `names the label space ${show(m.labelSpace)}; hcr knows ${LABEL_SPACES.map((s) => s.id).join(', ')}.`,
    );
  const names = m.classNames;
  if (!Array.isArray(names) || names.some((c) => typeof c !== 'string'))
    throw invalid(
      `has classNames ${Array.isArray(names) ? 'that are not all strings' : show(names)}; it must list the model's outputs as strings.`,
    );
  const line = m.task === 'line';
  if (line) {
    const r = m.reader;
    const symbols = isObject(r) ? r.symbols : undefined;
    if (
      !isObject(r) ||
      typeof r.alphabetId !== 'string' ||
      !Array.isArray(symbols) ||
      symbols.length < 2 ||
      symbols[0] !== '' ||
      !symbols.slice(1).every((s) => typeof s === 'string' && [...s].length === 1) ||
      new Set(symbols).size !== symbols.length ||
      !isPositiveInt(r.height) ||
      !isPositiveInt(r.stride) ||
      !isPositiveInt(r.minWidth)
    )
      throw invalid(
        `says task 'line' but has no valid reader section: {"alphabetId", "symbols": ["", one character each, none twice...], "height", "stride", "minWidth"} (positive integers).`,
      );
    if (names.length !== symbols.length || names.some((c, i) => c !== symbols[i]))
      throw invalid(
        `lists ${names.length} classNames, not the reader's ${symbols.length} alphabet symbols (${r.alphabetId}, blank first) in their order.`,
      );
  } else if (names.length !== space.classes.length)
    throw invalid(
      `lists ${names.length} classNames; its label space ${space.id} has ${space.classes.length} classes (${space.classes.join('')}).`,
    );
  // the same count in another order (or with a class twice) would put every answer under the wrong name
  else if (names.some((c, i) => c !== space.classes[i]))
    throw invalid(
      `lists classNames ${names.join('')}, not its label space ${space.id}'s classes in their order (${space.classes.join('')}).`,
    );
  const shape = m.inputShape;
  if (
    !Array.isArray(shape) ||
    shape.length !== 3 ||
    !shape.every((d, i) => isPositiveInt(d) || (line && i === 1 && d === -1))
  )
    throw invalid(
      `has inputShape ${show(shape)}; it must be [height, width, channels] of positive integers${line ? ' (width -1: free)' : ''}.`,
    );
  const n = m.inputNormalisation;
  if (!isObject(n) || !Number.isFinite(n.mean) || !(Number.isFinite(n.std) && (n.std as number) > 0))
    throw invalid(`has inputNormalisation ${show(n)}; it must be {"mean": number, "std": number > 0}.`);
  return m as unknown as ModelMetadata;
}
