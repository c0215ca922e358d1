import { describe, expect, it } from 'vitest';
import {
  decodeModel,
  decodeModelHeader,
  encodeModel,
  type ModelProto,
  OnnxProtoError,
} from '../src/index.js';
import { bytes, int, len, packedVarint, str } from './wire-writer.js';

const graph = (...nodeFields: number[][]) => len(7, len(1, str(4, 'Slice'), ...nodeFields), str(2, 'g'));

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OnnxProtoError);
    return `${(e as OnnxProtoError).code}: ${(e as Error).message}`;
  }
  return 'no error';
}

describe('int64 fields are exact: numbers, or bigints beyond ±(2^53 - 1)', () => {
  it('decodes safe integers exactly, negative ones and uint64 included', () => {
    const m = decodeModel(
      bytes(
        int(1, 8),
        len(
          7,
          len(1, str(4, 'X'), len(5, str(1, 'a'), packedVarint(8, [2 ** 53 - 1, -(2 ** 53 - 1), -1]))),
          str(2, 'g'),
          len(5, int(2, 13), str(8, 'u'), packedVarint(11, [2 ** 53 - 1])),
        ),
        int(5, -5),
      ),
    );
    expect(m.model_version).toBe(-5);
    expect(m.graph.node[0]!.attribute![0]!.ints).toEqual([2 ** 53 - 1, -(2 ** 53 - 1), -1]);
    expect(m.graph.initializer[0]!.uint64_data).toEqual([2 ** 53 - 1]);
  });

  it('decodes a value a number cannot hold as an exact bigint (it was rounded: 2^53 + 1 read as 2^53), and writes it back', () => {
    const model = bytes(int(5, 2n ** 63n - 1n), graph());
    expect(decodeModel(model).model_version).toBe(2n ** 63n - 1n);
    expect(Buffer.from(encodeModel(decodeModel(model)))).toEqual(Buffer.from(model));
    // Slice's ends = INT64_MAX as an attribute, as exporters write it (with a value just past 2^53)
    const slice = bytes(
      graph(len(5, str(1, 'ends'), int(8, 1), int(8, 2n ** 53n + 1n), int(8, -(2n ** 63n)))),
    );
    expect(decodeModel(slice).graph.node[0]!.attribute![0]!.ints).toEqual([1, 2n ** 53n + 1n, -(2n ** 63n)]);
    expect(Buffer.from(encodeModel(decodeModel(slice)))).toEqual(Buffer.from(slice));
    expect(decodeModelHeader(slice).graph.name).toBe('g');
  });

  it('encodeModel refuses what it would write as another number (2.7 as 2, NaN as 0, 1e20 as INT64_MAX)', () => {
    const model = (v: unknown, ints: unknown[] = [1]): ModelProto =>
      ({
        model_version: v,
        graph: {
          name: 'g',
          node: [{ op_type: 'X', attribute: [{ name: 'a', type: 7, ints }] }],
          initializer: [{ name: 't', dims: [1], data_type: 13, uint64_data: [1] }],
        },
      }) as ModelProto;
    expect(codeOf(() => encodeModel(model(2.7)))).toBe(
      'ONNX_INVALID_MODEL: encodeModel: model_version is 2.7, not an integer.',
    );
    expect(codeOf(() => encodeModel(model(Number.NaN)))).toMatch(/model_version is NaN, not an integer/);
    expect(codeOf(() => encodeModel(model(Number.POSITIVE_INFINITY)))).toMatch(/model_version is Infinity/);
    expect(codeOf(() => encodeModel(model(1e20)))).toMatch(
      /model_version is 100000000000000000000, beyond the integers a JavaScript number holds exactly/,
    );
    expect(codeOf(() => encodeModel(model(1, [1, -2.5])))).toMatch(
      /graph\.node\[0\]\.attribute\[0\]\.ints\[1\] is -2\.5, not an integer/,
    );
    expect(codeOf(() => encodeModel(model('7')))).toMatch(
      /model_version is a string \("7"\), not an integer number/,
    );
    const negativeUint = model(1);
    negativeUint.graph!.initializer![0]!.uint64_data = [-1];
    expect(codeOf(() => encodeModel(negativeUint))).toMatch(/uint64_data\[0\] is -1, negative for a uint64/);
  });

  it('takes a bigint for values beyond 2^53 and writes it exactly', () => {
    const max = 2n ** 63n - 1n;
    const encoded = encodeModel({ model_version: max as unknown as number, graph: { name: 'g' } });
    expect([...encoded.subarray(0, 10)]).toEqual([
      0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
    ]);
    expect(codeOf(() => encodeModel({ model_version: (max + 1n) as unknown as number, graph: {} }))).toMatch(
      /model_version is 9223372036854775808n, outside int64/,
    );
  });
});
