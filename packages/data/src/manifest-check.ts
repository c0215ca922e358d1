import { LINE_SHARD_VERSION } from './lines/format.js';
import type { DatasetKind } from './rebuild-command.js';
import { SHARD_FORMAT_VERSION } from './shard-format.js';

/**
 * What a parsed manifest.json must hold before anything reads it: hand-edited, truncated or foreign manifests
 * gave raw TypeErrors (no `counts`, no `shards`, `null`) deep inside a reader. Each check returns what is wrong,
 * or undefined; the caller names the file and the rebuild.
 */

/** The manifest format every dataset of this hcr was written in (`formatVersion`). */
export const MANIFEST_FORMAT_VERSION = 1;

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);
const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;

/** A shard's `file` is a plain name in the dataset's folder: `../other/x.shard` read from outside it. */
const plainName = (v: unknown) =>
  typeof v === 'string' && v !== '' && v !== '.' && v !== '..' && !/[/\\]/.test(v);

const shardOk = (s: unknown) =>
  isObject(s) &&
  plainName(s.file) &&
  typeof s.split === 'string' &&
  isCount(s.count) &&
  typeof s.sha256 === 'string' &&
  (s.bytes === undefined || isCount(s.bytes));

/**
 * The manifest and shard format versions, when they are not this hcr's: a dataset another (newer) hcr wrote.
 * An absent version is read as 1, the only one there has been.
 */
export function versionProblem(m: Record<string, unknown>, kind: DatasetKind): string | undefined {
  const shardVersion = kind === 'lines' ? LINE_SHARD_VERSION : SHARD_FORMAT_VERSION;
  if (m.formatVersion !== undefined && m.formatVersion !== MANIFEST_FORMAT_VERSION)
    return `manifest format version ${JSON.stringify(m.formatVersion)}; this hcr reads version ${MANIFEST_FORMAT_VERSION}`;
  if (m.shardFormatVersion !== undefined && m.shardFormatVersion !== shardVersion)
    return `shard format version ${JSON.stringify(m.shardFormatVersion)}; this hcr reads version ${shardVersion}`;
  return undefined;
}

/** The fields every reader of `kind` relies on (character readers: counts, config, image shape, classes too). */
export function manifestProblem(m: Record<string, unknown>, kind: DatasetKind): string | undefined {
  if (!Array.isArray(m.shards) || !m.shards.every(shardOk))
    return 'has no list of shards (file: a name in its folder, split, count, sha256 each)';
  if (kind === 'lines') return undefined;
  const shape = m.imageShape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n > 0))
    return 'has no imageShape [height, width, channels]';
  if (
    !Array.isArray(m.classNames) ||
    !m.classNames.length ||
    !m.classNames.every((c) => typeof c === 'string')
  )
    return 'has no classNames';
  if (!isObject(m.config)) return 'has no config';
  const counts = m.counts;
  const splitOk = (c: unknown) =>
    isObject(c) && isCount(c.total) && Array.isArray(c.perClass) && isObject(c.perSource);
  if (!isObject(counts) || !['train', 'val', 'test'].every((s) => splitOk(counts[s])))
    return 'has no counts (total, perClass, perSource) for train, val and test';
  if (counts.extra !== undefined && !splitOk(counts.extra)) return 'has malformed counts for extra';
  return undefined;
}

/** What the reader of a line dataset needs beyond the shards: the line height. */
export function lineReaderProblem(m: Record<string, unknown>): string | undefined {
  return Number.isInteger(m.height) && (m.height as number) > 0 ? undefined : 'has no line height';
}

/** What `hcr data lines info` prints from a line manifest alone. */
export function lineInfoProblem(m: Record<string, unknown>): string | undefined {
  if (m.origin === 'imported') {
    if (!isObject(m.imported) || !Number.isInteger(m.imported.seed))
      return 'has no import record (with its seed)';
    return isObject(m.counts) ? undefined : 'has no counts';
  }
  if (!isObject(m.config) || !Number.isInteger(m.config.seed)) return 'has no config (with its seed)';
  if (!Array.isArray(m.glyphParts) || !m.glyphParts.every((p) => isObject(p) && typeof p.name === 'string'))
    return 'has no glyphParts';
  if (!isObject(m.counts)) return 'has no counts';
  return undefined;
}
