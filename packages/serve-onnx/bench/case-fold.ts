/**
 * What `classes=uppercase` / `lowercase` answer on a 62-class character model, for each way of treating the
 * probability a letter of the other case gets: none of it (the digit/letter twins alone: serving before 2026-12-07),
 * the letters written alike in both cases (Balanced's 15, c/C, o/O, ...: serving now), or every letter. Each test
 * letter is read under its own case's class. Prints the best guesses right, the answers accepted at the default
 * min_confidence (right and wrong), and the error among the most confident answers at several coverages.
 *
 *   pnpm bench case-fold [--model artifacts/model/hcrnet62-quick/model.onnx] [--data artifacts/data/shards-62]
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASE_MERGED_IN_BALANCED, HcrError } from '@hcr/core';
import { openDataset } from '@hcr/data/reader';
import {
  allowedClasses,
  createRecognizer,
  DEFAULT_MIN_CONFIDENCE,
  foldedProbabilities,
} from '../src/index.js';

const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const COVERAGES = [0.5, 0.7, 0.8, 0.9];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const model = resolve(ROOT, arg('model', 'artifacts/model/hcrnet62-quick/model.onnx'));
const dataset = await openDataset(resolve(ROOT, arg('data', 'artifacts/data/shards-62')));
const rec = await createRecognizer({ model });
const names = rec.info.classNames;
if (rec.info.labelSpace !== 'hcr62' || dataset.labelSpace.id !== 'hcr62')
  throw new HcrError(
    'LABEL_SPACE_MISMATCH',
    `case-fold needs a 62-class model and dataset; got ${rec.info.labelSpace} and ${dataset.labelSpace.id}.`,
    {
      hint: 'Pass --model of `hcr train --labels 62` (exported) and --data of `hcr data prepare --labels 62`.',
    },
  );
const test = await dataset.loadSplit('test');
const alike = (name: string) => CASE_MERGED_IN_BALANCED.includes(name.toLowerCase());
const otherCase = (c: number) => {
  const n = names[c]!;
  return names.indexOf(n === n.toUpperCase() ? n.toLowerCase() : n.toUpperCase());
};
/** Which forbidden letters give their probability to their other case, per way. */
const WAYS: Record<string, (name: string) => boolean> = {
  'digit twins only (serving before 2026-12-07)': () => false,
  "letters alike in both cases (Balanced's 15; serving)": alike,
  'every letter': () => true,
};

type Scored = { confidence: number; right: boolean };
const scored = new Map<string, Scored[]>();
const letters: number[] = [];
for (let i = 0; i < test.count; i++) if (/^[A-Za-z]$/.test(names[test.labels[i]!]!)) letters.push(i);
for (let s = 0; s < letters.length; s += 512) {
  const chunk = letters.slice(s, s + 512);
  const probs = await rec.infer(chunk.map((i) => test.pixels.subarray(i * 784, (i + 1) * 784)));
  chunk.forEach((i, k) => {
    const p = probs.subarray(k * names.length, (k + 1) * names.length);
    const truth = test.labels[i]!;
    const field = names[truth] === names[truth]!.toUpperCase() ? 'uppercase' : 'lowercase';
    const allowed = allowedClasses(field, names)!;
    const forbidden = names.flatMap((n, c) => (/^[A-Za-z]$/.test(n) && !allowed.includes(c) ? [c] : []));
    // serving's fold, less its case part: the digit/letter twins alone
    const base = foldedProbabilities(p, names, allowed);
    for (const c of forbidden) if (alike(names[c]!)) base[otherCase(c)]! -= p[c]!;
    for (const [way, folds] of Object.entries(WAYS)) {
      const out = Float64Array.from(base);
      for (const c of forbidden) if (folds(names[c]!)) out[otherCase(c)]! += p[c]!;
      let best = allowed[0]!;
      for (const c of allowed) if (out[c]! > out[best]!) best = c;
      const key = `${field}\t${way}`;
      if (!scored.has(key)) scored.set(key, []);
      scored.get(key)!.push({ confidence: out[best]!, right: best === truth });
    }
  });
}
await rec.close();

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
console.log(
  `case-fold: ${model}, ${letters.length} test letters; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const [key, list] of scored) {
  const [field, way] = key.split('\t') as [string, string];
  const n = list.length;
  const accepted = list.filter((x) => x.confidence >= DEFAULT_MIN_CONFIDENCE);
  list.sort((a, b) => b.confidence - a.confidence);
  const risk = COVERAGES.map((c) => {
    const head = list.slice(0, Math.round(c * n));
    return pct(head.filter((x) => !x.right).length / head.length);
  });
  console.log(
    `${field.padEnd(9)} ${way.padEnd(52)} best ${pct(list.filter((x) => x.right).length / n)}  at min_confidence ${DEFAULT_MIN_CONFIDENCE}: accepted and right ${pct(accepted.filter((x) => x.right).length / n)}, wrong ${pct(accepted.filter((x) => !x.right).length / n)}  errors among the ${COVERAGES.map((c) => `${c * 100}`).join('/')}% most confident: ${risk.join(' / ')}`,
  );
}
