/** The real dev sets for the reader benches: ../shared/data from the repository root, or HCR_DATA_DIR. */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
export const PIPELINE_READER = resolve(ROOT, 'artifacts/model/reader/model.onnx');
const dataDir = process.env.HCR_DATA_DIR
  ? resolve(process.env.HCR_DATA_DIR)
  : resolve(ROOT, '../shared/data');

/** Each dev set with the class its field reads with. */
export const DEV_SETS = [
  ['handwritten-names-dev', 'letters'],
  ['handwritten-amounts-dev', 'digits'],
] as const;

/** Whether a dev set is there (its labels.tsv), for benches that can do without it. */
export function devSetPresent(name: string): boolean {
  return existsSync(join(dataDir, name, 'labels.tsv'));
}

/** A dev set's images (absolute paths) and transcriptions from its labels.tsv; exits naming the fix if absent. */
export function devSetItems(name: string): { file: string; label: string }[] {
  const dir = join(dataDir, name);
  if (!existsSync(join(dir, 'labels.tsv'))) {
    process.stderr.write(`No ${name} under ${dataDir}: set HCR_DATA_DIR to the shared data.\n`);
    process.exit(1);
  }
  return readFileSync(join(dir, 'labels.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [file, label] = l.split('\t');
      return { file: join(dir, file!), label: label ?? '' };
    });
}
