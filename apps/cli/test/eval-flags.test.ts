import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '@hcr/engine';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { ensureFixture, FIXTURE_RUN, saveTinyReaderRun } from '../../../packages/eval/test/fixtures.js';
import { refuseOtherKindFlags, registerEval } from '../src/commands/eval.js';

/** `hcr eval` as the CLI declares it, in this process; `action` replaces the command's (to look at its flags). */
function evalCommand(action?: () => void): { program: Command; command: Command } {
  const program = new Command().exitOverride();
  registerEval(program);
  const command = program.commands.find((c) => c.name() === 'eval')!;
  command.exitOverride();
  if (action) command.action(action);
  return { program, command };
}

/** The flags `args` give, as the eval command parses them (its action not run). */
function parsed(args: string[]): Command {
  const { program, command } = evalCommand(() => {});
  program.parse(['eval', ...args], { from: 'user' });
  return command;
}

describe('hcr eval refuses the flags of the other kind of model', () => {
  it('names the flag to use instead, for each flag only one kind reads', () => {
    const refused = (args: string[], kind: 'character' | 'reader') => {
      try {
        refuseOtherKindFlags(parsed(args), kind);
        return null;
      } catch (e) {
        const err = e as { code: string; problem: string; hint: string };
        return [err.code, err.problem, err.hint];
      }
    };
    expect(refused(['run', '--limit', '3'], 'character')).toEqual([
      'BAD_OPTION',
      '--limit is for line readers; for a character model use --sample.',
      'Pass --sample <n> to evaluate a seeded random sample of n images per split.',
    ]);
    expect(refused(['run', '--beam', '4'], 'character')?.[1]).toBe(
      "--beam is a line reader's CTC beam width; a character model has no decoder.",
    );
    expect(refused(['run', '--lines', 'x'], 'character')?.[1]).toBe(
      "--lines is a line reader's synthetic line dataset; for a character model use --data.",
    );
    expect(refused(['run', '--data-dir', 'x'], 'character')?.[1]).toBe(
      "--data-dir is where a line reader's dev sets are looked for; for a character model use --data.",
    );
    expect(refused(['run', '--sample', '50'], 'reader')?.[1]).toBe(
      '--sample is for character models; for a line reader use --limit.',
    );
    expect(refused(['run', '--data', 'x'], 'reader')?.[1]).toBe(
      "--data is a character model's prepared shards; a line reader reads --lines and --data-dir.",
    );
    expect(refused(['run', '--workers', '2'], 'reader')?.[1]).toBe(
      "--workers sets a character model's tfjs worker threads; a line reader is read in one process.",
    );
    // each kind's own flags, the shared ones, and flags left at their defaults (--engine auto, --out, --models,
    // --synthetic) are not refused
    expect(
      refused(['run', '--sample', '5', '--data', 'x', '--workers', '1', '--engine', 'wasm'], 'character'),
    ).toBe(null);
    expect(
      refused(
        ['run', '--limit', '5', '--beam', '2', '--lines', 'l', '--data-dir', 'd', '--runtime', 'onnx'],
        'reader',
      ),
    ).toBe(null);
    expect(refused(['run'], 'character')).toBe(null);
    expect(refused(['run'], 'reader')).toBe(null);
  });

  it('refuses them before evaluating: a character run with --limit, a reader run with --sample', async () => {
    const fx = await ensureFixture();
    const run = async (args: string[]) => {
      const { program } = evalCommand();
      return program.parseAsync(['eval', ...args], { from: 'user' });
    };
    const out = await mkdtemp(join(tmpdir(), 'hcr-eval-flags-'));
    await expect(
      run([FIXTURE_RUN, '--models', fx.modelsDir, '--out', out, '--limit', '3']),
    ).rejects.toMatchObject({
      code: 'BAD_OPTION',
      problem: '--limit is for line readers; for a character model use --sample.',
    });
    await initEngine({ engine: 'wasm', purpose: 'infer', log: () => {} });
    const reader = join(out, 'models', 'reader-flags');
    await saveTinyReaderRun(reader, 'reader-flags', 1);
    await expect(run([reader, '--out', out, '--sample', '10'])).rejects.toMatchObject({
      code: 'BAD_OPTION',
      problem: '--sample is for character models; for a line reader use --limit.',
    });
    await expect(run([reader, '--out', out, '--workers', '2'])).rejects.toMatchObject({ code: 'BAD_OPTION' });
  });
});
