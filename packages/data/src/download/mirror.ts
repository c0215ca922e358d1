import { basename } from 'node:path';
import { HcrError } from '@hcr/core';
import type { DatasetLock } from '../lock.js';

/**
 * HCR_DATA_MIRROR=<url> fetches everything from one server laid out as
 *   <url>/<dataset>/<file>   plain files (MNIST: <url>/mnist/train-images-idx3-ubyte.gz, ...)
 *   <url>/<zip file name>    zips (NIST's EMNIST archive: <url>/gzip.zip)
 * The lock's sha256 sums still decide what is accepted, so a mirror cannot change the data.
 */
export function withMirror(lock: DatasetLock, mirror: string | undefined): DatasetLock {
  if (!mirror) return lock;
  let root: URL;
  try {
    root = new URL(mirror.endsWith('/') ? mirror : `${mirror}/`);
    if (root.protocol !== 'http:' && root.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new HcrError('DATA_MIRROR', `HCR_DATA_MIRROR is '${mirror}', which is not an http(s) URL.`, {
      hint: 'Set it to the root of a server holding <dataset>/<file> and the zips (e.g. http://mirror.local/hcr/), or unset it to use the official URLs.',
    });
  }
  const datasets = Object.fromEntries(
    Object.entries(lock.datasets).map(([name, d]) => [
      name,
      {
        ...d,
        ...(d.baseUrl ? { baseUrl: new URL(`${name}/`, root).href } : {}),
        ...(d.zipUrl ? { zipUrl: new URL(basename(new URL(d.zipUrl).pathname), root).href } : {}),
      },
    ]),
  );
  return { ...lock, datasets };
}
