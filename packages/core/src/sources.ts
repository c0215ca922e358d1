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

export function sourceId(name: SourceName): number {
  return SOURCES.indexOf(name);
}

export function sourceName(id: number): SourceName {
  const name = SOURCES[id];
  if (name === undefined) throw new RangeError(`unknown source id ${id} (known: ${SOURCES.join(', ')})`);
  return name;
}
