import { LABEL_SPACE_36, LABEL_SPACE_62 } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { augmentSample, augmentScratch, DEFAULT_AUGMENT, sampleRng } from '../src/augment.js';
import { learningRate, resolveTrainConfig } from '../src/config.js';
import { logitAdjustment, logitPriorGroups } from '../src/logit-adjust.js';

describe('training config', () => {
  it('profiles set the budget and flags override them', () => {
    expect(resolveTrainConfig().profile).toBe('quick');
    expect(resolveTrainConfig({ profile: 'full' }).epochs).toBeGreaterThan(resolveTrainConfig().epochs);
    expect(resolveTrainConfig({ epochs: 7 }).epochs).toBe(7);
  });

  it('seed trains with the seed recipe unless told otherwise', () => {
    const c = resolveTrainConfig({ model: 'seed' });
    expect([c.lr, c.batchSize, c.labelSmoothing, c.augment.enabled]).toEqual([0.001, 64, 0, false]);
    expect(resolveTrainConfig({ model: 'seed', augment: { enabled: true } }).augment.enabled).toBe(true);
    expect(resolveTrainConfig().augment.enabled).toBe(true);
  });

  it('fine-tuning (init) trains at a quarter of the recipe’s rate unless --lr is given; replay is the reader’s', () => {
    expect(resolveTrainConfig({ model: 'reader', init: 'latest-reader' }).lr).toBeCloseTo(0.001, 12);
    expect(resolveTrainConfig({ init: 'latest' }).lr).toBeCloseTo(0.003 / 4, 12);
    expect(resolveTrainConfig({ model: 'reader', init: 'latest-reader', lr: 0.002 }).lr).toBe(0.002);
    expect(resolveTrainConfig({ model: 'reader' }).replayShare).toBe(1);
    expect(() => resolveTrainConfig({ replay: 'artifacts/data/lines' })).toThrow(
      /'replay' \(--replay\).*for the line reader/,
    );
    expect(() => resolveTrainConfig({ model: 'reader', replayShare: -1 })).toThrow(
      /'replayShare' \(--replay-share\)/,
    );
    expect(() => resolveTrainConfig({ init: '' })).toThrow(/'init' \(--init\)/);
  });

  it('rejects bad values with the option name and what is expected', () => {
    expect(() => resolveTrainConfig({ model: 'vgg99' })).toThrow(
      /'model' \(--model\) is "vgg99"; expected one of seed, hcrnet/,
    );
    expect(() => resolveTrainConfig({ epochs: 0 })).toThrow(/'epochs'/);
    expect(() => resolveTrainConfig({ batchSize: 30, gradShards: 4 })).toThrow(/divides the batch size 30/);
    expect(() => resolveTrainConfig({ lr: Number.NaN })).toThrow(/'lr'/);
    expect(() => resolveTrainConfig({ bogus: 1 } as never)).toThrow(/'bogus'.*no such option/);
    expect(() => resolveTrainConfig({ profile: 'huge' as never })).toThrow(/'quick' or 'full'/);
  });

  it('a bad value names the flag that sets it, or says it is a config-file option', () => {
    // `hcr train --batch 1` must not answer with a key the user never typed and no flag to change.
    expect(() => resolveTrainConfig({ batchSize: 1 })).toThrow(
      expect.objectContaining({
        message: expect.stringContaining("'batchSize' (--batch) is 1"),
        hint: expect.stringContaining('Fix --batch'),
      }),
    );
    expect(() => resolveTrainConfig({ checkpointEvery: 0 })).toThrow(/\(--checkpoint-every\)/);
    // A Date.now()-sized seed repeated one shuffle every epoch (seed * 1,000,003 + epoch lost the epoch).
    expect(() => resolveTrainConfig({ seed: 1733000000000 })).toThrow(/'seed' \(--seed\).*0\.\.4294967295/);
    expect(resolveTrainConfig({ seed: 4294967295 }).seed).toBe(4294967295);
    expect(() => resolveTrainConfig({ warmup: 0.9 })).toThrow(
      expect.objectContaining({
        hint: expect.stringMatching(/"warmup" in the --config file \(it has no flag\)/),
      }),
    );
  });

  it('takes augment only as an object of options: false, true or null is an error naming it', () => {
    expect(resolveTrainConfig({ augment: { enabled: false } } as never).augment.enabled).toBe(false);
    for (const augment of [false, true, null])
      expect(() => resolveTrainConfig({ augment } as never)).toThrow(
        expect.objectContaining({ code: 'TRAIN_CONFIG', message: expect.stringContaining("'augment'") }),
      );
  });

  it('the reader takes a context (conv by default, or bilstm); character models refuse one', () => {
    expect(resolveTrainConfig({ model: 'reader' }).context).toBe('conv');
    expect(resolveTrainConfig({ model: 'reader', context: 'bilstm' }).context).toBe('bilstm');
    expect(() => resolveTrainConfig({ model: 'reader', context: 'gru' as never })).toThrow(
      /'context' \(--context\) is "gru"; expected one of conv, bilstm/,
    );
    expect(() => resolveTrainConfig({ model: 'hcrnet', context: 'bilstm' })).toThrow(/only the line reader/);
    expect(resolveTrainConfig({ model: 'hcrnet' }).context).toBeUndefined();
  });

  it('learning rate warms up linearly, peaks, and decays by cosine to the floor', () => {
    const c = resolveTrainConfig({ lr: 0.01, warmup: 0.1, minLrRatio: 0.01 });
    expect(learningRate(c, 0, 100)).toBeCloseTo(0.001);
    expect(learningRate(c, 9, 100)).toBeCloseTo(0.01);
    expect(learningRate(c, 55, 100)).toBeLessThan(0.01);
    expect(learningRate(c, 100, 100)).toBeCloseTo(0.0001);
  });
});

describe('augmentation', () => {
  const src = new Uint8Array(784);
  for (let y = 10; y < 18; y++) for (let x = 12; x < 16; x++) src[y * 28 + x] = 255;

  it('tone and blur change the edge profile but never erase a faint thin stroke', () => {
    const faint = new Uint8Array(784);
    for (let y = 6; y < 22; y++) faint[y * 28 + 14] = 90; // one-pixel stroke at 35% intensity
    const still = {
      ...DEFAULT_AUGMENT,
      rotate: 0,
      scale: 0,
      shear: 0,
      translate: 0,
      elastic: 0,
      strokeProb: 0,
    };
    const ink = (cfg: typeof DEFAULT_AUGMENT, p: number) => {
      const out = new Float32Array(784);
      augmentSample(faint, 0, out, 0, sampleRng(5, 0, p), cfg, 0, 1, augmentScratch());
      return out;
    };
    let changed = 0;
    for (let p = 0; p < 40; p++) {
      const plain = ink({ ...still, toneProb: 0, blurProb: 0 }, p);
      const styled = ink({ ...still, toneProb: 1, blurProb: 0 }, p);
      const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
      expect(sum(styled)).toBeGreaterThanOrEqual(0.6 * sum(plain) - 1e-4);
      if (Math.abs(sum(styled) - sum(plain)) > 0.01) changed++;
    }
    expect(changed).toBeGreaterThan(20);
  });

  it('is a pure function of (seed, epoch, position)', () => {
    const a = new Float32Array(784);
    const b = new Float32Array(784);
    const c = new Float32Array(784);
    augmentSample(src, 0, a, 0, sampleRng(1, 0, 5), DEFAULT_AUGMENT, 0.5, 0.5, augmentScratch());
    augmentSample(src, 0, b, 0, sampleRng(1, 0, 5), DEFAULT_AUGMENT, 0.5, 0.5, augmentScratch());
    augmentSample(src, 0, c, 0, sampleRng(1, 1, 5), DEFAULT_AUGMENT, 0.5, 0.5, augmentScratch());
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('keeps values in the normalised range and the character on the canvas', () => {
    const out = new Float32Array(784);
    for (let p = 0; p < 50; p++) {
      augmentSample(src, 0, out, 0, sampleRng(3, 0, p), DEFAULT_AUGMENT, 0.5, 0.5, augmentScratch());
      const ink = out.reduce((s, v) => s + (v + 1) / 2, 0);
      expect(Math.min(...out)).toBeGreaterThanOrEqual(-1 - 1e-6);
      expect(Math.max(...out)).toBeLessThanOrEqual(1 + 1e-6);
      // 32 ink pixels before: erosion and tone together keep >= 60%, scaling keeps >= 0.77 of the area,
      // so >= 14.8 px before resampling blurs the block's edges.
      expect(ink).toBeGreaterThan(10);
    }
  });
});

describe('logit adjustment', () => {
  it('is tau * log(class prior) of the training labels, and zero when off', () => {
    const labels = Uint8Array.from([0, 0, 0, 1, 2, 2, 2, 2]);
    const b = logitAdjustment(labels, 4, 1);
    expect(b[0]).toBeCloseTo(Math.log(3 / 8));
    expect(b[1]).toBeCloseTo(Math.log(1 / 8));
    expect(b[2]).toBeCloseTo(Math.log(4 / 8));
    // A class missing from a limited training set stays finite (counted once), so the loss never NaNs.
    expect(b[3]).toBeCloseTo(Math.log(1 / 8));
    expect(logitAdjustment(labels, 4, 0.5)[0]).toBeCloseTo(0.5 * Math.log(3 / 8));
    expect(Array.from(logitAdjustment(labels, 4, 0))).toEqual([0, 0, 0, 0]);
  });

  it('removes the character prior by default: case twins share one, digits keep the 36-class balance', () => {
    // hcr62 labels: 6 x '0', 1 x 'C', 3 x 'c', 2 x 'A'; 'a' absent.
    const labels = Uint8Array.from([0, 0, 0, 0, 0, 0, 12, 38, 38, 38, 10, 10]);
    const space = LABEL_SPACE_62;
    const groups = logitPriorGroups(resolveTrainConfig({}).logitPrior, space);
    const b = logitAdjustment(labels, 62, 1, groups);
    expect(b[12]).toBeCloseTo(Math.log(4 / 12)); // C: C and c together
    expect(b[38]).toBeCloseTo(Math.log(4 / 12)); // c
    expect(b[36]).toBeCloseTo(Math.log(2 / 12)); // a: A's group, though no 'a' was seen
    expect(b[0]).toBeCloseTo(Math.log(6 / 12));
    // 'class' is each class's own prior, as before.
    const own = logitAdjustment(labels, 62, 1, logitPriorGroups('class', space));
    expect(own[12]).toBeCloseTo(Math.log(1 / 12));
    expect(own[38]).toBeCloseTo(Math.log(3 / 12));
  });

  it('is the same for both priors in the 36-class space (the default recipe does not change)', () => {
    const labels = Uint8Array.from([0, 0, 3, 10, 10, 10, 35]);
    const character = logitAdjustment(labels, 36, 1, logitPriorGroups('character', LABEL_SPACE_36));
    expect(Array.from(character)).toEqual(Array.from(logitAdjustment(labels, 36, 1)));
    expect(Array.from(character)).toEqual(
      Array.from(logitAdjustment(labels, 36, 1, logitPriorGroups('class', LABEL_SPACE_36))),
    );
  });

  it('rejects an unknown logit prior', () => {
    expect(() => resolveTrainConfig({ logitPrior: 'uniform' as never })).toThrow(/'logitPrior'/);
  });

  it('rejects a tau outside [0, 2]', () => {
    expect(() => resolveTrainConfig({ logitAdjust: -1 })).toThrow(/'logitAdjust'/);
    expect(() => resolveTrainConfig({ logitAdjust: 5 })).toThrow(/'logitAdjust'/);
  });
});
