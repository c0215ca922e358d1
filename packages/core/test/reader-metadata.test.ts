import { ONNX_METADATA_KEYS as K, LINE_ALPHABET_36, parseReaderOnnxMetadata } from '@hcr/core';
import { describe, expect, it } from 'vitest';

const reader = {
  alphabetId: LINE_ALPHABET_36.id,
  symbols: [...LINE_ALPHABET_36.symbols],
  height: 32,
  stride: 4,
  minWidth: 16,
};
const props = (extra: Record<string, string | undefined> = {}): Record<string, string> => {
  const all: Record<string, string | undefined> = {
    [K.reader]: JSON.stringify(reader),
    [K.inputNormalisation]: JSON.stringify({ mean: 0.1, std: 0.3 }),
    [K.modelId]: 'reader-a',
    [K.modelUid]: 'u-1',
    ...extra,
  };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
};
const opts = { source: 'r.onnx', hint: 'Export it with hcr export onnx.', fallbackId: 'r' };

describe('parseReaderOnnxMetadata (what serving and ensemble packing read from a reader file)', () => {
  it('reads one reader, and a packed ensemble as its members in axis order', () => {
    expect(parseReaderOnnxMetadata(props(), opts)).toEqual({
      reader,
      normalisation: { mean: 0.1, std: 0.3 },
      members: [{ id: 'reader-a', uid: 'u-1' }],
    });
    expect(
      parseReaderOnnxMetadata(props({ [K.modelId]: undefined, [K.modelUid]: undefined }), opts).members,
    ).toEqual([{ id: 'r' }]);
    const members = [{ id: 'a', uid: 'u-a' }, { id: 'b' }];
    expect(
      parseReaderOnnxMetadata(props({ [K.readerMembers]: JSON.stringify(members) }), opts).members,
    ).toEqual(members);
  });

  it('refuses a character model and malformed keys, naming the file, the key and the fix', () => {
    expect(() => parseReaderOnnxMetadata(props({ [K.reader]: undefined }), opts)).toThrow(
      expect.objectContaining({
        code: 'MODEL_NOT_A_READER',
        message: expect.stringMatching(/^r\.onnx has no hcr\.reader .*Export it with hcr export onnx\.$/),
      }),
    );
    const bad: [Record<string, string | undefined>, RegExp][] = [
      [{ [K.reader]: '{not json' }, /hcr\.reader must be/],
      [{ [K.reader]: JSON.stringify({ ...reader, symbols: ['A', 'B'] }) }, /hcr\.reader must be/],
      [{ [K.reader]: JSON.stringify({ ...reader, stride: 0 }) }, /hcr\.reader must be/],
      [{ [K.inputNormalisation]: undefined }, /hcr\.input_normalisation/],
      [{ [K.inputNormalisation]: JSON.stringify({ mean: 0, std: 0 }) }, /hcr\.input_normalisation/],
      // std that is no number passed as > 0 and came back a string, a boolean, a list
      [{ [K.inputNormalisation]: JSON.stringify({ mean: 0.5, std: '0.5' }) }, /hcr\.input_normalisation/],
      [{ [K.inputNormalisation]: JSON.stringify({ mean: 0.5, std: true }) }, /hcr\.input_normalisation/],
      [{ [K.inputNormalisation]: JSON.stringify({ mean: 0.5, std: [1] }) }, /hcr\.input_normalisation/],
      [{ [K.inputNormalisation]: '{"mean": 0.5, "std": 1e999}' }, /hcr\.input_normalisation/],
      // two outputs with one symbol
      [{ [K.reader]: JSON.stringify({ ...reader, symbols: ['', 'A', 'B', 'A'] }) }, /no two alike/],
      [{ [K.readerMembers]: '[]' }, /hcr\.reader_members must be a non-empty JSON list/],
      [{ [K.readerMembers]: JSON.stringify([{ uid: 'x' }]) }, /hcr\.reader_members/],
    ];
    for (const [extra, message] of bad)
      expect(() => parseReaderOnnxMetadata(props(extra), opts)).toThrow(
        expect.objectContaining({ code: 'MODEL_INVALID', message: expect.stringMatching(message) }),
      );
  });
});
