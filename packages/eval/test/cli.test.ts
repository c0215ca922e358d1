import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { type EvalReport, evaluateRun } from '../src/report.js';
import { ensureFixture, FIXTURE_RUN } from './fixtures.js';
import { APPLIED_CALIBRATION } from './hand-report.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const run = promisify(execFile);

/** `pnpm hcr ...` without pnpm: the CLI from source, as the root package.json script runs it. */
async function hcr(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'apps/cli/src/bin.ts', ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

let fx: Awaited<ReturnType<typeof ensureFixture>>;
beforeAll(async () => {
  fx = await ensureFixture();
});

describe('hcr eval (CLI)', () => {
  it('--json prints eval.json on stdout; the plain run ends with the summary and the index.html path', async () => {
    const out = await mkdtemp(join(tmpdir(), 'hcr-eval-cli-'));
    const common = ['--models', fx.modelsDir, '--data', fx.dataDir, '--out', out, '--engine', 'wasm'];
    const json = await hcr(['eval', FIXTURE_RUN, ...common, '--json', '--sample', '60']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as EvalReport;
    expect(report.model.id).toBe(FIXTURE_RUN);
    expect(report.data.sample).toBe(60);
    expect(report.overall.count).toBe(60);

    const again = await hcr(['eval', FIXTURE_RUN, ...common, '--sample', '60']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists.*--force/);

    const forced = await hcr(['eval', FIXTURE_RUN, ...common, '--sample', '60', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/scores \d+\.\d\d% on the 60 test images/);
    expect(forced.stdout.trim().split('\n').at(-1)).toBe(`Report: ${join(out, FIXTURE_RUN, 'index.html')}`);
  });

  it('--compare warns on stderr when the two reports were not measured on the same images', async () => {
    const out = await mkdtemp(join(tmpdir(), 'hcr-eval-cli-compare-'));
    const { report } = await evaluateRun({
      run: fx.runDir,
      dataDir: fx.dataDir,
      outDir: join(out, 'made'),
      engine: 'wasm',
      workers: 1,
      sample: 40,
    });
    for (const [name, sample] of [
      ['a', 40],
      ['b', 20],
    ] as const) {
      await mkdir(join(out, name));
      await writeFile(
        join(out, name, 'eval.json'),
        JSON.stringify({ ...report, data: { ...report.data, sample } }),
      );
    }
    const r = await hcr(['eval', '--compare', 'a', 'b', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'warning the two reports were not measured on the same images (--sample 40 vs --sample 20)',
    );
    // A then B, as the page says, the delta B minus A; one model id, so each is named by its folder
    const accuracy = (report.overall.accuracy * 100).toFixed(2);
    expect(r.stdout.split('\n')[0]).toBe(
      `${join(out, 'a')} (A) vs ${join(out, 'b')} (B): overall accuracy ${accuracy}% vs ${accuracy}% (B minus A: 0.00 points); F1 most improved in B none, most regressed none.`,
    );
    expect(r.stdout.split('\n')[1]).toBe(`Comparison: ${join(out, 'compare-a-vs-b', 'index.html')}`);
    // one report named twice: an error naming it, and no comparison written
    const twice = await hcr(['eval', '--compare', 'a', 'a', '--out', out, '--json']);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain("'a' is given twice");
    expect(existsSync(join(out, 'compare-a-vs-a'))).toBe(false);
    // a copy of it in another folder measured the same images
    await cp(join(out, 'a'), join(out, 'a-copy'), { recursive: true });
    const same = await hcr(['eval', '--compare', 'a', 'a-copy', '--out', out, '--json']);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).not.toMatch(/warning/);
    expect(JSON.parse(same.stdout).sameData).toBe(true);

    // the same images, but B's confidences calibrated: its lower ECE is the calibration, and the output says so
    await mkdir(join(out, 'cal'));
    const applied = APPLIED_CALIBRATION;
    await writeFile(
      join(out, 'cal', 'eval.json'),
      JSON.stringify({
        ...report,
        data: { ...report.data, sample: 40 },
        calibration: { ...report.calibration, applied },
      }),
    );
    const cal = await hcr(['eval', '--compare', 'a', 'cal', '--out', out]);
    expect(cal.code, cal.stderr).toBe(0);
    expect(cal.stderr).not.toMatch(/same images/);
    expect(cal.stderr).toContain(
      'warning the two reports were not measured alike: calibration none vs answer-kind-temperature: the ECE delta is largely the calibration, not a better or worse model',
    );
  });

  it('--compare of two reader reports pairs their lines: fixed, broken and the sign test', async () => {
    const out = await mkdtemp(join(tmpdir(), 'hcr-eval-cli-readers-'));
    const truths = ['ANNA', 'LEO', 'EVA', 'MAX'];
    const reports = { before: ['ANNA', 'LEO', 'EUA', 'MAK'], after: ['ANNA', 'LE0', 'EVA', 'MAX'] };
    for (const [name, texts] of Object.entries(reports)) {
      const exact = texts.map((t, i) => (t === truths[i] ? 1 : 0));
      const rate = exact.reduce((a: number, b) => a + b, 0) / texts.length;
      await mkdir(join(out, name));
      const source = { name: 'names', labelsSha256: 'x', count: 4, headline: 'letters', dir: '.' };
      const constraints = [{ name: 'letters', exactRate: rate, cer: 0.1 }];
      await writeFile(
        join(out, name, 'lines.json'),
        JSON.stringify({
          task: 'line',
          runtime: 'onnx',
          model: { id: name },
          sources: [{ ...source, constraints }],
        }),
      );
      const ids = truths.map((_, i) => `images/${i}.png`);
      const read = { texts, confidences: texts.map(() => 0.5), exact };
      await writeFile(
        join(out, name, 'reads.json'),
        JSON.stringify({
          formatVersion: 1,
          model: name,
          sources: { names: { ids, truths, reads: { letters: read } } },
        }),
      );
    }
    const r = await hcr(['eval', '--compare', 'before', 'after', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^before \(A\) vs after \(B\): exact \/ CER/);
    expect(lines[2]).toMatch(/^names +letters +4 +50\.00% \/ 10\.00% +75\.00% \/ 10\.00% +2 +1 +1\.000$/);
    expect(r.stdout).toContain(`Comparison: ${join(out, 'compare-before-vs-after', 'index.html')}`);
    const json = await hcr(['eval', '--compare', 'before', 'after', '--out', out, '--json', '--force']);
    expect(JSON.parse(json.stdout).sources[0].changed.map((l: { id: string }) => l.id)).toEqual([
      'images/2.png',
      'images/3.png',
      'images/1.png',
    ]);
  });

  it('exits non-zero with the fix for bad input, writing nothing', async () => {
    const out = await mkdtemp(join(tmpdir(), 'hcr-eval-cli-bad-'));
    const unknown = await hcr(['eval', 'no-such-run', '--models', fx.modelsDir, '--out', out]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`Known runs in ${fx.modelsDir}: ${FIXTURE_RUN}`);
    const noData = await hcr([
      'eval',
      FIXTURE_RUN,
      '--models',
      fx.modelsDir,
      '--data',
      join(out, 'none'),
      '--out',
      out,
    ]);
    expect(noData.code).toBe(1);
    expect(noData.stderr).toMatch(/hcr data prepare/);
    const compare = await hcr(['eval', '--compare', 'only-one', '--out', out]);
    expect(compare.code).toBe(1);
    expect(compare.stderr).toMatch(/exactly two runs/);
    const report = await hcr(['eval', FIXTURE_RUN, '--models', fx.modelsDir, '--report', 'x', '--out', out]);
    expect(report.code).toBe(1);
    expect(report.stderr).toMatch(
      /--report names a line reader's report; this is a character model\..*--out <dir>/,
    );
    expect(await readdir(out)).toEqual([]);
  });
});
