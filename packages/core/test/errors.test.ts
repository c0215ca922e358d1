import { describe, expect, it } from 'vitest';
import { HcrError, isHcrError } from '../src/index.js';

describe('HcrError', () => {
  it('is the problem and the hint as one paragraph, and keeps its code when named', () => {
    const e = new HcrError('SHARDS_MISSING', 'No prepared dataset.', { hint: 'Run `hcr data prepare`.' });
    expect(e.message).toBe('No prepared dataset. Run `hcr data prepare`.');
    expect(e.exitCode).toBe(1);
    const named = e.naming('images[2]');
    expect(named.message).toBe('images[2]: No prepared dataset. Run `hcr data prepare`.');
    expect(named.code).toBe('SHARDS_MISSING');
    expect(isHcrError(named)).toBe(true);
    expect(isHcrError(new Error('x'))).toBe(false);
    expect(isHcrError({ code: 'X', problem: 'p', name: 'HcrError' })).toBe(false);
  });

  it('is recognised when thrown by another copy of @hcr/core (two versions installed side by side)', async () => {
    // the same file under another URL: a second module instance, with its own HcrError class
    const copy = '../src/errors.ts?another-copy';
    const other = (await import(copy)) as typeof import('../src/errors.js');
    expect(other.HcrError).not.toBe(HcrError);
    const e = new other.HcrError('MODEL_INVALID', 'Bad model.', { hint: 'Export it again.' });
    expect(isHcrError(e)).toBe(true);
    expect(e instanceof HcrError).toBe(true);
    expect(other.isHcrError(new HcrError('X', 'p'))).toBe(true);
    // a subclass is still told apart from its base
    class Special extends HcrError {}
    expect(new Special('X', 'p') instanceof Special).toBe(true);
    expect(e instanceof Special).toBe(false);
    expect(new Special('X', 'p') instanceof HcrError).toBe(true);
  });
});
