import { describe, expect, it } from 'vitest';
import { MAX_EPOCHS, resolveTrainConfig } from '../src/config.js';

describe('epochs out of any budget', () => {
  it('1e20 epochs (a --config typo) is TRAIN_CONFIG naming the range, not a run with an ETA of centuries', () => {
    expect(() => resolveTrainConfig({ epochs: 1e20 })).toThrow(
      expect.objectContaining({ code: 'TRAIN_CONFIG', message: expect.stringContaining(`1..${MAX_EPOCHS}`) }),
    );
    expect(() => resolveTrainConfig({ epochs: MAX_EPOCHS + 1 })).toThrow(/'epochs' \(--epochs\)/);
  });

  it('keeps every sensible count', () => {
    expect(resolveTrainConfig({ epochs: 1 }).epochs).toBe(1);
    expect(resolveTrainConfig({ epochs: MAX_EPOCHS }).epochs).toBe(MAX_EPOCHS);
    expect(resolveTrainConfig({ profile: 'full' }).epochs).toBe(15);
  });
});
