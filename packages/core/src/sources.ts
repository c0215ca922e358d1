/**
 * Where a sample came from. Every shard row keeps its source id so every report can be split by source.
 * Ids are stored as one byte in shards: never renumber, only append.
 */
export const SOURCES = [
  'mnist',
  'emnist-letters',
  'emnist-letters-repack',
  'emnist-digits-repack',
  'emnist-byclass',
  'emnist-byclass-repack',
  'emnist-digits',
] as const;
export type SourceName = (typeof SOURCES)[number];
/**
 * Where letters come from: EMNIST Letters (case merged, for hcr36) or EMNIST ByClass (case kept, for hcr47
 * and hcr62); each official or as the offline repack.
 */
export type LetterSource =
  | 'emnist-letters'
  | 'emnist-letters-repack'
  | 'emnist-byclass'
  | 'emnist-byclass-repack';

/**
 * The id stored for a source. An unknown name is a RangeError listing the known ones: it returned -1, which a shard's
 * byte stores as 255, a source no report can name.
 */
export function sourceId(name: SourceName): number {
  const id = SOURCES.indexOf(name);
  if (id < 0) throw new RangeError(`unknown source ${JSON.stringify(name)} (known: ${SOURCES.join(', ')})`);
  return id;
}

/** The source of a stored id; anything but a known id (a whole number) is a RangeError. */
export function sourceName(id: number): SourceName {
  // SOURCES['length'] is a number, not a name
  const name = Number.isInteger(id) ? SOURCES[id] : undefined;
  if (name === undefined) throw new RangeError(`unknown source id ${id} (known: ${SOURCES.join(', ')})`);
  return name;
}
