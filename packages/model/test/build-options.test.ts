import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BuildOptions,
  buildModel,
  buildReader,
  HCRNET_STAGES,
  INPUT_SHAPE,
  MODEL_NAMES,
  READER_CONTEXTS,
  type ReaderBuildOptions,
} from '../src/index.js';
import '@tensorflow/tfjs-backend-cpu';

beforeAll(() => tf.setBackend('cpu'));

const invalid = (what: RegExp) => ({ code: 'MODEL_OPTION_INVALID', problem: expect.stringMatching(what) });

describe('builders refuse options that build a broken or unreproducible model', () => {
  it('hcrnet stages that pool the 28 px input below 1x1 (a constant-output model)', () => {
    const e = (() => {
      try {
        buildModel('hcrnet', { stages: [[32], [64], [128], [256], [256]] });
      } catch (x) {
        return x;
      }
    })();
    expect(e).toMatchObject(invalid(/pool the 28x28 input 5 times, below 1x1/));
    expect(e).toMatchObject({ hint: expect.stringMatching(/at most 4 stages/) });
  });

  it('4 stages (down to 1x1) still build', () => {
    const m = buildModel('hcrnet', { stages: [[8], [8], [8], [8]] });
    expect(m.getLayer('pool4').outputShape).toEqual([null, 1, 1, 8]);
    m.dispose();
  });

  it.each([
    [[[32], [0]], /positive integer conv widths/],
    [[[32], [1.5]], /positive integer conv widths/],
    [[32, 64] as never, /a list of stages/],
  ])('hcrnet stages %j', (stages, what) => {
    expect(() => buildModel('hcrnet', { stages })).toThrow(expect.objectContaining(invalid(what)));
  });

  it('an unknown reader context (was: the conv reader, silently)', () => {
    expect(() => buildReader({ classes: 43, context: 'gru' as never })).toThrow(
      expect.objectContaining({
        ...invalid(/unknown context "gru"/),
        hint: expect.stringMatching(/conv, bilstm/),
      }),
    );
  });

  it('a reader without classes', () => {
    expect(() => buildReader({} as ReaderBuildOptions)).toThrow(
      expect.objectContaining(invalid(/classes is missing/)),
    );
  });

  const bad: [string, BuildOptions, RegExp][] = [
    ['seed NaN', { seed: Number.NaN }, /seed NaN is not an integer/],
    ['seed -1', { seed: -1 }, /seed -1/],
    ['seed 1.5', { seed: 1.5 }, /seed 1.5/],
    ['dropout 1', { dropout: 1 }, /dropout 1 is not a rate in \[0, 1\)/],
    ['dropout -0.1', { dropout: -0.1 }, /dropout -0.1/],
    ['dropout NaN', { dropout: Number.NaN }, /dropout NaN/],
    ['classes 0', { classes: 0 }, /classes 0 is not an integer >= 2/],
    ['classes 1', { classes: 1 }, /classes 1/],
    ['classes 2.5', { classes: 2.5 }, /classes 2.5/],
  ];
  describe.each(['seed', 'hcrnet', 'reader'])('%s', (name) => {
    it.each(bad)('%s', (_, opts, what) => {
      const build = () =>
        name === 'reader' ? buildReader({ classes: 43, ...opts }) : buildModel(name, opts);
      expect(build).toThrow(expect.objectContaining(invalid(new RegExp(`^${name}: ${what.source}`))));
    });
  });

  it("a seed of 0 and hcr train's largest seed are accepted", () => {
    for (const seed of [0, 0xffffffff]) buildModel('seed', { seed, classes: 2 }).dispose();
  });
});

describe('buildModel and the line reader', () => {
  it("buildModel('reader') says the reader is built by buildReader", () => {
    expect(() => buildModel('reader')).toThrow(
      expect.objectContaining({
        code: 'MODEL_UNKNOWN',
        hint: expect.stringMatching(/buildReader\(\{ classes/),
      }),
    );
  });
});

describe('constants cannot be changed by a caller', () => {
  it.each([
    ['INPUT_SHAPE', INPUT_SHAPE],
    ['HCRNET_STAGES', HCRNET_STAGES],
    ['HCRNET_STAGES[0]', HCRNET_STAGES[0]],
    ['MODEL_NAMES', MODEL_NAMES],
    ['READER_CONTEXTS', READER_CONTEXTS],
  ])('%s is frozen', (_, value) => {
    expect(Object.isFrozen(value)).toBe(true);
    expect(() => (value as unknown as number[]).push(1)).toThrow(TypeError);
  });
});
