import { HcrError } from '@hcr/core';
import type * as tf from '@tensorflow/tfjs-core';

/** One weight shard as read from disk: its path and byte length, in manifest order. */
export interface ShardBytes {
  file: string;
  byteLength: number;
}

// bytes per stored value, as tfjs decodes them (io_utils' DTYPE_VALUE_SIZE_MAP)
const VALUE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

const DAMAGED_HINT =
  "Copy model.json and every shard its weightsManifest names again from the model's own save (an hcr run: its training directory, or re-train with `hcr train`); model.json and its shards must come from the same save.";

/** Bytes a weight takes in the shards, or undefined when it has no fixed size (strings). */
function storedBytes(spec: tf.io.WeightsManifestEntry): number | undefined {
  const per = VALUE_BYTES[spec.quantization?.dtype ?? spec.dtype];
  if (per === undefined) return undefined;
  return spec.shape.reduce((a, b) => a * b, 1) * per;
}

/** The shard that holds byte `offset` of the concatenated weight data. */
function shardAt(shards: readonly ShardBytes[], offset: number): string {
  let end = 0;
  for (const s of shards) {
    end += s.byteLength;
    if (offset < end) return s.file;
  }
  return shards.at(-1)?.file ?? 'the weight shards';
}

/** How many stored values of one weight are NaN or +-Infinity (float32, or float16 when quantised so). */
function countNonFinite(data: ArrayBuffer, offset: number, spec: tf.io.WeightsManifestEntry): number {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  let bad = 0;
  if (spec.quantization?.dtype === 'float16') {
    const view = new DataView(data, offset);
    // exponent bits all set: Infinity or NaN
    for (let i = 0; i < n; i++) if ((view.getUint16(i * 2, true) & 0x7c00) === 0x7c00) bad++;
  } else if (!spec.quantization && spec.dtype === 'float32') {
    // a view when aligned (the usual case), a copy after 1- or 2-byte weights
    const values =
      offset % 4 === 0
        ? new Float32Array(data, offset, n)
        : new Float32Array(data.slice(offset, offset + 4 * n));
    for (let i = 0; i < n; i++) if (!Number.isFinite(values[i]!)) bad++;
  }
  return bad;
}

/**
 * Refuse weight data that cannot be the model's: shards shorter or longer than the manifest describes (a cut or
 * swapped file; tfjs would fail on a later tensor with a bare "tensor should have N values") and weights holding
 * NaN or Infinity (a damaged file or a diverged training run: every output would be NaN).
 */
export function checkWeightData(
  modelJson: string,
  specs: readonly tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
  shards: readonly ShardBytes[],
): void {
  const sizes = specs.map(storedBytes);
  if (sizes.some((s) => s === undefined)) return; // string weights: sizes are inside the data
  const expected = sizes.reduce<number>((a, b) => a + b!, 0);
  const files = shards.map((s) => s.file).join(', ');
  if (data.byteLength !== expected) {
    // the first weight that does not fit in the bytes there are
    let end = 0;
    const cut = specs.find((_, i) => {
      end += sizes[i]!;
      return end > data.byteLength;
    });
    throw new HcrError(
      'WEIGHTS_SIZE_MISMATCH',
      `The weight shards of ${modelJson} (${files}) hold ${data.byteLength.toLocaleString('en')} bytes; its weightsManifest describes ${expected.toLocaleString('en')}${
        cut ? ` (weight '${cut.name}' [${cut.shape.join(',')}] and those after it are missing)` : ''
      }, so a shard is damaged, cut short or from another save.`,
      { hint: DAMAGED_HINT },
    );
  }
  const bad: { spec: tf.io.WeightsManifestEntry; count: number; file: string }[] = [];
  let offset = 0;
  specs.forEach((spec, i) => {
    const count = countNonFinite(data, offset, spec);
    if (count) bad.push({ spec, count, file: shardAt(shards, offset) });
    offset += sizes[i]!;
  });
  if (bad.length === 0) return;
  const first = bad[0]!;
  const name = first.spec.name;
  const layer = name.includes('/') ? ` (layer ${name.slice(0, name.lastIndexOf('/'))})` : '';
  const more =
    bad.length > 1
      ? `; ${bad.length - 1} more weight(s) too: ${bad
          .slice(1, 6)
          .map((b) => b.spec.name)
          .join(', ')}${bad.length > 6 ? ', ...' : ''}`
      : '';
  throw new HcrError(
    'WEIGHTS_NOT_FINITE',
    `Weight '${name}'${layer} in ${first.file} holds ${first.count} NaN or Infinity value(s)${more}, so the model cannot give meaningful outputs: the file is damaged, or training diverged.`,
    {
      hint: 'Restore the weights from the training run (its weights.bin, or resume from its checkpoint), or re-train (`hcr train`; a run that diverged needs a lower learning rate).',
    },
  );
}
