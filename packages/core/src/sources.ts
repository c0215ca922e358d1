/**
 * Where a sample came from. Every shard row keeps its source id so every report can be split by source.
 * Ids are stored as one byte in shards: never renumber, only append.
 */
export const SOURCES = ['mnist', 'emnist-letters', 'emnist-letters-repack', 'emnist-digits-repack'] as const;
export type SourceName = (typeof SOURCES)[number];
export type LetterSource = 'emnist-letters' | 'emnist-letters-repack';

export function sourceId(name: SourceName): number {
  return SOURCES.indexOf(name);
}

export function sourceName(id: number): SourceName {
  const name = SOURCES[id];
  if (name === undefined) throw new RangeError(`unknown source id ${id} (known: ${SOURCES.join(', ')})`);
  return name;
}
