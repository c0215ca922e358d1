import { checkCalibration, HcrError, isHcrError, type ModelMetadata } from '@hcr/core';

/** Keys of hcr's ModelMetadata that say a metadata.json is hcr's (a Teachable Machine one has none of them). */
const HCR_KEYS = [
  'formatVersion',
  'id',
  'uid',
  'modelVersion',
  'architecture',
  'labelSpace',
  'classNames',
  'inputNormalisation',
  'task',
  'reader',
  'calibration',
];

export interface CheckedMetadata {
  metadata: ModelMetadata | null;
  /** Why metadata.json was left out, when it was. */
  metadataWarning?: string;
}

/**
 * metadata.json beside model.json as hcr's ModelMetadata, checked against the model (class count = output size,
 * a usable input normalisation, an integer version). A file that is not hcr's or does not fit the model (someone
 * else's model, e.g. a Teachable Machine export) is left out with a warning rather than written into the ONNX
 * model as hcr's metadata: the model itself still exports.
 */
export function checkMetadata(
  raw: unknown,
  file: string,
  outputShapes: readonly (readonly (number | null)[] | undefined)[],
): CheckedMetadata {
  const leftOut = (why: string): CheckedMetadata => ({
    metadata: null,
    metadataWarning: `${file} ${why}, so it was left out of the ONNX model's metadata_props (the model itself is exported).`,
  });
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return leftOut('is not a JSON object');
  const m = raw as Record<string, unknown>;
  if (!HCR_KEYS.some((k) => k in m)) {
    return leftOut(
      "is not hcr's model metadata (it has none of its keys: classNames, inputNormalisation, id...)",
    );
  }
  // hcr's own calibration (train and `hcr calibrate` write it) damaged: an error, as serving would refuse the file
  if ('calibration' in m) {
    try {
      checkCalibration(m.calibration);
    } catch (e) {
      throw new HcrError(
        'METADATA_INVALID',
        `${file}: ${isHcrError(e) ? e.problem.replace(/\.$/, '') : (e as Error).message}; nothing was written.`,
        {
          hint: 'Fit the calibration again with `hcr calibrate <run>` (it rewrites metadata.json), or remove its "calibration" entry.',
          cause: e,
        },
      );
    }
  }
  const problems: string[] = [];
  const show = (v: unknown) => JSON.stringify(v) ?? String(v);
  if ('classNames' in m) {
    const names = m.classNames;
    const outputs = outputShapes.length === 1 ? outputShapes[0]?.at(-1) : undefined;
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
      problems.push('classNames is not a list of strings');
    } else if (m.task !== 'line' && typeof outputs === 'number' && outputs > 0 && names.length !== outputs) {
      problems.push(`classNames lists ${names.length} classes, but the model has ${outputs} outputs`);
    }
  }
  if ('inputNormalisation' in m) {
    const n = m.inputNormalisation as { mean?: unknown; std?: unknown } | null;
    const ok =
      n &&
      typeof n === 'object' &&
      Number.isFinite(n.mean) &&
      Number.isFinite(n.std) &&
      (n.std as number) > 0;
    if (!ok) problems.push(`inputNormalisation is ${show(n)}, not { mean, std } with std > 0`);
  }
  if ('modelVersion' in m && !(Number.isSafeInteger(m.modelVersion) && (m.modelVersion as number) >= 0)) {
    problems.push(`modelVersion is ${show(m.modelVersion)}, not a non-negative integer`);
  }
  for (const k of ['id', 'uid', 'labelSpace']) {
    if (k in m && typeof m[k] !== 'string') problems.push(`${k} is ${show(m[k])}, not a string`);
  }
  if ('task' in m && m.task !== 'character' && m.task !== 'line') {
    problems.push(`task is ${show(m.task)}, not 'character' or 'line'`);
  }
  if (problems.length > 0)
    return leftOut(`does not fit this model as hcr's metadata: ${problems.join('; ')}`);
  return { metadata: m as unknown as ModelMetadata };
}
