import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  classIndex,
  createRng,
  emnistLetterToClass,
  HcrError,
  isHcrError,
  isTwinPair,
  LABEL_SPACE_36,
  writeJsonAtomic,
} from '@hcr/core';

console.log(LABEL_SPACE_36.classes.join('')); // 0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ
console.log(emnistLetterToClass(1)); // 10: EMNIST Letters' label 1 is A
console.log(classIndex('a')); // 10: hcr36 merges a into A
console.log(isTwinPair(classIndex('0'), classIndex('O'))); // true

const rng = createRng(42); // the same stream on every machine
rng.next();
const resumed = createRng(42, rng.state()); // checkpoint and resume the stream
console.log(resumed.next() === rng.next()); // true

const dir = await mkdtemp(join(tmpdir(), 'hcr-core-'));
await writeJsonAtomic(join(dir, 'config.json'), { a: 1 }); // temp file + rename: never a torn file
console.log(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'))); // { a: 1 }
try {
  await writeJsonAtomic(dir, { a: 1 }); // a folder is no file to write
} catch (e) {
  console.log(isHcrError(e) && e.code); // OUTPUT_IS_DIRECTORY
}
await rm(dir, { recursive: true });

const error = new HcrError('SHARDS_MISSING', 'No prepared dataset.', { hint: 'Run `hcr data prepare`.' });
console.log(error.message); // No prepared dataset. Run `hcr data prepare`.
