import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchmarks, benchUsage, checkBenchArgs } from '../src/commands/bench.js';
import { spawnBench } from './support/spawn-bench.js';

const ROOT = resolve(import.meta.dirname, '../../..');
/** `hcr bench <args>` from the sources, as `pnpm bench` runs it; never gets as far as a benchmark here. */
const bench = (...args: string[]) => spawnBench(args);

const refused = (name: string, args: string[]) => {
  try {
    checkBenchArgs(name, args);
  } catch (e) {
    return (e as { code: string; message: string }).code === 'BAD_OPTION' ? (e as Error).message : 'other';
  }
  return undefined;
};

describe('hcr bench arguments', () => {
  it('<name> --help prints that benchmark’s flags and runs nothing', async () => {
    const r = await bench('serve', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: pnpm bench serve .*\[--duration s\].*\[--body png\|json\]/);
    expect(r.stdout).toContain('packages/serve-onnx/bench/serve.ts');
    const h = await bench('read', '-h');
    expect(h.stdout).toMatch(/^Usage: pnpm bench read .*\[--trials count\]/);
  });

  it('bench --help is still the command’s help; listing the benchmarks names each in a column', async () => {
    const r = await bench('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: hcr bench \[options\] \[name\] \[args\.\.\.\]/);
    const list = await bench();
    const lines = list.stdout.split('\n').filter((l) => /^\S+ {2,}\S/.test(l));
    expect(lines.map((l) => l.split(/ {2,}/)[0])).toEqual(Object.keys(benchmarks));
    expect(
      new Set(lines.map((l) => l.search(/ {2}\S/) + l.slice(l.search(/ {2}\S/)).search(/\S/))).size,
    ).toBe(1);
  });

  it('a misspelt flag is refused, exit 1, naming the flags the benchmark takes (it ran at the defaults)', async () => {
    const r = await bench('serve', '--durration', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error pnpm bench serve: unknown flag '--durration'\. Usage: pnpm bench serve .*--duration s/,
    );
  });

  it('cli: a number of runs below 1 is refused before the build (it built, then died on the median of none)', async () => {
    const r = await bench('cli', '0');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("pnpm bench cli [runs]: runs is a whole number >= 1 (default 10), got '0'.\n");
  });

  it('refuses unknown flags, missing values, non-numbers, other words, --flag=value and stray arguments', () => {
    expect(refused('serve', ['--durration', '1'])).toMatch(/unknown flag '--durration'/);
    expect(refused('serve', ['--duration'])).toMatch(/--duration takes a value/);
    expect(refused('serve', ['--duration', '--json'])).toMatch(/--duration takes a value/);
    expect(refused('serve', ['--duration', 'abc'])).toMatch(/--duration takes seconds above 0, got 'abc'/);
    expect(refused('serve', ['--body', 'xml'])).toMatch(/--body takes png or json, got 'xml'/);
    expect(refused('serve', ['--duration=5'])).toMatch(/write '--duration 5'/);
    expect(refused('shard-profile', ['--compare', 'filter'])).toMatch(/identity-conv or filter-patches/);
    expect(refused('data', ['--pases', '1'])).toMatch(/unknown flag '--pases'/);
    expect(refused('data', ['--passes', '1'])).toBe(undefined);
    expect(refused('image', ['5'])).toMatch(/unexpected argument '5'/);
    expect(refused('cli', ['3', '4'])).toMatch(/unexpected argument '4'/);
    expect(refused('eval', ['runn=pipeline'])).toMatch(/unknown argument 'runn='/);
    expect(refused('eval', ['--run', 'pipeline'])).toMatch(/unknown flag '--run'/);
    expect(refused('eval', ['workers=two'])).toMatch(/workers= takes a whole number >= 1, got 'two'/);
    // counts and seconds: 0 steps printed NaN and Infinity, batch 0 a tfjs stack trace
    expect(refused('batch-norm', ['--steps', '0'])).toMatch(/--steps takes a whole number >= 1, got '0'/);
    expect(refused('engine', ['--batch', '2.5'])).toMatch(/--batch takes a whole number >= 1, got '2.5'/);
    expect(refused('export', ['--seconds', '0'])).toMatch(/--seconds takes seconds above 0, got '0'/);
  });

  it('takes what the benchmarks read', () => {
    expect(
      refused('serve', ['--model', 'hcrnet', '--duration', '1', '--soak', '0', '--no-pin', '--json']),
    ).toBe(undefined);
    expect(refused('text-lines', ['--tilt', '-5', '--notes', '3', '--columns'])).toBe(undefined);
    expect(refused('serve', ['--soak', '0', '--prepare-workers', '0', '--duration', '0.5'])).toBe(undefined);
    expect(refused('export', ['--batch', '1', '--seconds', '0.2'])).toBe(undefined);
    expect(refused('eval', ['run=pipeline', 'runtimes=onnx'])).toBe(undefined);
    expect(refused('cli', ['3'])).toBe(undefined);
    expect(refused('decode', ['50'])).toBe(undefined);
    expect(refused('photo-accuracy', ['m.onnx', '--n', '20'])).toBe(undefined);
    expect(benchUsage('beside')).toBe('pnpm bench beside [--seconds s] [--phase s]');
  });

  it("declares every flag its script reads, and reads every flag it declares (the scripts' own parsing)", () => {
    // how the scripts read a flag: arg('x'), flag('--x'), num('--x'), numberFlag('--x'), argv.includes('--x') ...
    const READ =
      /(?:\b(?:arg|flag|num|numberFlag)\(|(?:argv|args)\.(?:includes|indexOf)\()'(?:--)?([a-z][a-z0-9-]*)'/g;
    // beside.ts starts itself as two children with these; nobody types them
    const CHILD_ONLY: Record<string, string[]> = { beside: ['child', 't0', 'out', 'runs'] };
    for (const [name, b] of Object.entries(benchmarks)) {
      let src = readFileSync(join(ROOT, b.script), 'utf8');
      if (src.includes("from './shards.js'"))
        src += readFileSync(join(ROOT, 'packages/train/bench/shards.ts'), 'utf8');
      const read = new Set([...src.matchAll(READ)].map((m) => m[1]!));
      if (name === 'eval') for (const m of src.matchAll(/opts\.(\w+)/g)) read.add(m[1]!);
      for (const f of CHILD_ONLY[name] ?? []) read.delete(f);
      const declared = Object.keys(b.flags).map((f) => f.replace(/^--|=$/g, ''));
      expect({ name, flags: [...read].sort() }).toEqual({ name, flags: [...declared].sort() });
    }
  });

  it('every `pnpm bench` command the READMEs and docs quote still parses', () => {
    const files = execFileSync('git', ['ls-files', '*.md'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f && !f.startsWith('.changeset/'));
    let checked = 0;
    for (const file of files) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const span of text.matchAll(/`([^`]+)`/g)) {
        for (const c of span[1]!.replace(/\s+/g, ' ').matchAll(/pnpm (?:hcr )?bench ([^;|&#]*)/g)) {
          // shell words: '...' quoted, <placeholders> one word, a name cut off by a comma in a list of commands
          const words = [...c[1]!.replace(/<[^>]*>/g, 'X').matchAll(/'([^']*)'|(\S+)/g)].map(
            (w) => w[1] ?? w[2]!,
          );
          const [name = '', ...args] = words;
          if (!/^[a-z][a-z-]*,?$/.test(name ?? '') || args.some((a) => a.startsWith('['))) continue;
          const known = benchmarks[name.replace(/,$/, '')] ? name.replace(/,$/, '') : undefined;
          expect(known, `${file}: ${c[0]}`).toBeDefined();
          if (name.endsWith(',')) continue;
          expect(refused(name, args), `${file}: ${c[0]}`).toBe(undefined);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});
