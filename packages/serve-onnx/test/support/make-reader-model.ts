/**
 * Writes a line reader for the serving tests: @hcr/model's `buildReader` with seeded random weights,
 * exported by @hcr/export-onnx with the metadata a trained reader carries (hcr.reader, hcr.input_normalisation,
 * hcr.model_id). Its reads are meaningless but deterministic: for shapes, batching and errors.
 *
 *   node --conditions=source --import tsx packages/serve-onnx/test/support/make-reader-model.ts <out.onnx> [36|62] [seed]
 *
 * The optional label space makes a case-sensitive reader (hcr62-line) instead of the default 36-class one;
 * another seed (default 3) another reader of the same kind (a second member of an ensemble).
 */
import {
  DEFAULT_INPUT_NORMALISATION,
  type LineReaderInfo,
  labelSpace,
  lineAlphabet,
  ONNX_METADATA_KEYS,
  writeFileAtomic,
} from '@hcr/core';
import { exportLayersModel } from '@hcr/export-onnx';
import { buildReader, LINE_HEIGHT, LINE_MIN_WIDTH, LINE_STRIDE } from '@hcr/model';

const out = process.argv[2];
if (!out) throw new Error('usage: make-reader-model.ts <out.onnx> [36|62] [seed]');
const seed = Number(process.argv[4] ?? 3);
const space = labelSpace(process.argv[3] ?? 36);
const alphabet = lineAlphabet(space);
const reader: LineReaderInfo = {
  alphabetId: alphabet.id,
  symbols: [...alphabet.symbols],
  height: LINE_HEIGHT,
  stride: LINE_STRIDE,
  minWidth: LINE_MIN_WIDTH,
};
const model = buildReader({ classes: alphabet.size, seed });
const { bytes } = exportLayersModel(model, {
  metadata: {
    [ONNX_METADATA_KEYS.reader]: JSON.stringify(reader),
    [ONNX_METADATA_KEYS.inputNormalisation]: JSON.stringify(DEFAULT_INPUT_NORMALISATION),
    [ONNX_METADATA_KEYS.modelId]:
      space.id === 'hcr36' ? `reader-random-seed${seed}` : `reader-random-seed${seed}-${space.id}`,
  },
});
await writeFileAtomic(out, bytes);
