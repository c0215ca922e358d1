/**
 * Writes a line reader for the serving tests: @hcr/model's `buildReader` with seeded random weights,
 * exported by @hcr/export-onnx with the metadata a trained reader carries (hcr.reader, hcr.input_normalisation,
 * hcr.model_id). Its reads are meaningless but deterministic: for shapes, batching and errors.
 *
 *   node --conditions=source --import tsx packages/serve-onnx/test/support/make-reader-model.ts <out.onnx>
 */
import {
  DEFAULT_INPUT_NORMALISATION,
  LINE_ALPHABET_36,
  type LineReaderInfo,
  ONNX_METADATA_KEYS,
  writeFileAtomic,
} from '@hcr/core';
import { exportLayersModel } from '@hcr/export-onnx';
import { buildReader, LINE_HEIGHT, LINE_MIN_WIDTH, LINE_STRIDE } from '@hcr/model';

const out = process.argv[2];
if (!out) throw new Error('usage: make-reader-model.ts <out.onnx>');
const reader: LineReaderInfo = {
  alphabetId: LINE_ALPHABET_36.id,
  symbols: [...LINE_ALPHABET_36.symbols],
  height: LINE_HEIGHT,
  stride: LINE_STRIDE,
  minWidth: LINE_MIN_WIDTH,
};
const model = buildReader({ classes: LINE_ALPHABET_36.size, seed: 3 });
const { bytes } = exportLayersModel(model, {
  metadata: {
    [ONNX_METADATA_KEYS.reader]: JSON.stringify(reader),
    [ONNX_METADATA_KEYS.inputNormalisation]: JSON.stringify(DEFAULT_INPUT_NORMALISATION),
    [ONNX_METADATA_KEYS.modelId]: 'reader-random-seed3',
  },
});
await writeFileAtomic(out, bytes);
