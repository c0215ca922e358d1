import type { DataManifest, SplitName } from './manifest.js';
import { openDataset } from './reader.js';

/** The summary `hcr data info` prints: counts per split, source and class, classes, letters source. */
export interface DatasetInfo {
  dir: string;
  manifestSha256: string;
  letterSource: DataManifest['letterSource'];
  normalise: DataManifest['config']['normalise'];
  /** Label space id (hcr36, hcr47, hcr62). */
  labelSpace: DataManifest['labelSpace'];
  classes: number;
  classNames: string[];
  /** Images per split, per source and per class (indexed like classNames). */
  counts: Record<
    SplitName,
    { total: number; perSource: DataManifest['counts'][SplitName]['perSource']; perClass: number[] }
  >;
  /** train + val: everything the model may learn from. */
  trainAndVal: number;
  shards: number;
  bytes: number;
}

export async function datasetInfo(dir?: string): Promise<DatasetInfo> {
  const d = await openDataset(dir);
  const m = d.manifest;
  const counts = Object.fromEntries(
    Object.entries(m.counts).map(([k, v]) => [
      k,
      { total: v.total, perSource: v.perSource, perClass: v.perClass },
    ]),
  ) as DatasetInfo['counts'];
  return {
    dir: d.dir,
    manifestSha256: d.manifestSha256,
    letterSource: m.letterSource,
    normalise: m.config.normalise,
    labelSpace: d.labelSpace.id,
    classes: m.classNames.length,
    classNames: m.classNames,
    counts,
    trainAndVal: m.counts.train.total + m.counts.val.total,
    shards: m.shards.length,
    bytes: m.shards.reduce((n, s) => n + s.bytes, 0),
  };
}
