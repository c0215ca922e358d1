import { type EnsureRawDataOptions, type EnsureRawDataResult, ensureRawData } from '../ensure-raw.js';

/**
 * Makes sure the raw files synthetic lines are drawn from are on this machine: MNIST and case-sensitive EMNIST
 * letters (the offline repack, else the official ByClass files, downloaded when missing: only their four
 * members of NIST's zip, checked by the zip's CRC-32, their sums recorded beside them on first download). The same
 * rule as the character data with 62 classes, so both pipelines share one download.
 */
export function ensureLineRawData(
  opts: Omit<EnsureRawDataOptions, 'config'> = {},
): Promise<EnsureRawDataResult> {
  return ensureRawData({ ...opts, config: { labels: 62, letters: 'auto', extra: [] } });
}
