/**
 * Dev-only: what each cleaning step is worth to a trained reader on the real dev sets (measuring, never
 * training). Reads both sets with the default preprocessing and with label or rule removal off, decodes with
 * the field's character class (beam 8) and prints exact match and CER.
 *   node --conditions=source --import tsx packages/image/scripts/ab-reader.ts artifacts/model/<reader run>
 * @hcr/eval depends on @hcr/image, so this reaches eval and decode by relative path (a package dependency
 * back would be a cycle); tsconfig.json leaves it out of the typecheck for the same reason.
 * VARIANTS=default reads only the default; ERRORS=1 lists the misread lines.
 */
import { LINE_ALPHABET_36 } from '@hcr/core';
import { decodeCtc } from '../../decode/src/index.js';
import { nameCharacters } from '../../eval/src/lines/constraints.js';
import { scoreLines } from '../../eval/src/lines/metrics.js';
import { readLines } from '../../eval/src/lines/read.js';
import { tfjsLineRuntime } from '../../eval/src/lines/runtimes.js';
import { resolveModelRun } from '../../eval/src/model-files.js';
import { type LinePreprocessOptions, preprocessLine } from '../src/index.js';
import { decodeImage, devSet } from './dev-images.js';

const run = await resolveModelRun(process.argv[2] ?? 'latest');
const runtime = await tfjsLineRuntime(run);
const info = run.metadata.reader!;
const alphabet = {
  ...LINE_ALPHABET_36,
  symbols: info.symbols,
  size: info.symbols.length,
} as typeof LINE_ALPHABET_36;
const variants: Record<string, LinePreprocessOptions> =
  process.env.VARIANTS === 'default'
    ? { default: {} }
    : {
        default: {},
        'no label removal': { removeLabels: false },
        'no rule removal': { removeRules: false },
      };
for (const [name, field] of [
  ['handwritten-names-dev', 'names'],
  ['handwritten-amounts-dev', 'amounts'],
] as const) {
  const set = devSet(name)!;
  const imgs = await Promise.all(set.items.map((it) => decodeImage(it.file)));
  for (const [vname, opts] of Object.entries(variants)) {
    const lines = imgs.map((img, i) => {
      const l = preprocessLine(img, opts);
      return { id: String(i), truth: set.items[i].label, width: l.width, pixels: l.pixels };
    });
    const out = await readLines(runtime, lines, {
      normalisation: run.metadata.inputNormalisation,
      symbols: info.symbols.length,
    });
    const classes = field === 'names' ? { chars: nameCharacters(alphabet) } : ('digits' as const);
    const pairs = lines.map((l, i) => {
      const frames = out.probs[i].length / info.symbols.length;
      return {
        truth: l.truth,
        prediction: decodeCtc(out.probs[i], frames, alphabet, { classes, beam: 8 }).text,
      };
    });
    const s = scoreLines(pairs, { alphabet });
    if (process.env.ERRORS) {
      const wrong = pairs
        .map((p, i) => ({ ...p, i }))
        .filter(
          (p) =>
            p.truth.toUpperCase().replace(/[^A-Z0-9]/g, '') !==
            p.prediction.toUpperCase().replace(/[^A-Z0-9]/g, ''),
        );
      console.log(wrong.map((p) => `${p.i}\t${p.truth}\t${p.prediction}`).join('\n'));
    }
    console.log(
      `${name} ${vname}: exact ${(100 * s.exactRate).toFixed(1)}% CER ${(100 * s.cer).toFixed(1)}%`,
    );
  }
}
await runtime.dispose();
