import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareLines } from '@hcr/data';
import { trainLines } from '@hcr/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineScan, uniform } from '../../../packages/serve-onnx/test/support/line-synth.js';
import { startHcr } from '../../../packages/serve-onnx/test/support/run-hcr.js';
import { hcr } from './support/run-hcr.js';

const dataDir = process.env.HCR_DATA_DIR ?? join(import.meta.dirname, '../../../../shared/data');
const hasLetters = existsSync(join(dataDir, 'emnist-byclass-repack'));
const quiet = { log: () => {}, progress: { start: () => {}, tick: () => {}, stop: () => {} } };

// what the test strokes can write (A L T X 0 1 4 7)
const TEXTS = ['TAX', 'ALT', '7104', 'LAX', 'TALL', '40', 'XL', 'AXT'];

describe.skipIf(!hasLetters)('hcr finetune', () => {
  let dir: string;
  let runs: string;
  let folder: string;
  let generated: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hcr-finetune-'));
    // two small readers trained on generated lines: the "pipeline's pair" a user starts from
    generated = join(dir, 'generated');
    await prepareLines({
      dataDir,
      config: { counts: { train: 48, val: 8, test: 8 } },
      outDir: generated,
      workers: 0,
    });
    runs = join(dir, 'runs');
    const config = { model: 'reader', out: runs, data: generated, epochs: 1, batchSize: 8, workers: 1 };
    await trainLines({ ...quiet, config: { ...config, seed: 1 }, run: 'base-a' });
    await trainLines({ ...quiet, config: { ...config, seed: 2 }, run: 'base-b' });
    // the user's own labelled lines
    folder = join(dir, 'my-fields');
    await mkdir(join(folder, 'images'), { recursive: true });
    const rows: string[] = [];
    for (let i = 0; i < 60; i++) {
      const text = TEXTS[i % TEXTS.length]!;
      await writeFile(join(folder, 'images', `${i}.png`), await lineScan(text, { seed: i }));
      rows.push(`images/${i}.png\t${text}`);
    }
    await writeFile(join(folder, 'labels.tsv'), `${rows.join('\n')}\n`);
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const finetune = (...more: string[]) =>
    hcr(
      'finetune',
      folder,
      '--from',
      'base-a,base-b',
      '--out',
      runs,
      '--lines',
      join(dir, 'imported'),
      '--reports',
      join(dir, 'reports'),
      '--workers',
      '1',
      '--epochs',
      '1',
      ...more,
    );

  it('imports the folder, fine-tunes each reader from its weights with replay, packs them and reads before and after', async () => {
    // its own folder read as a real set, in place of the 828 dev images (read twice, they would double the test's time)
    const r = await finetune('--json', '--real', `names=${folder}`);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.dataset).toBe(join(dir, 'imported'));
    expect(j.runs).toEqual([
      { from: join(runs, 'base-a'), runDir: join(runs, 'my-fields-conv-1') },
      { from: join(runs, 'base-b'), runDir: join(runs, 'my-fields-conv-2') },
    ]);
    expect(j.replay).toBe(generated); // the lines the first reader learnt from
    for (const { from, runDir } of j.runs) {
      const m = JSON.parse(await readFile(join(runDir, 'metadata.json'), 'utf8'));
      expect(m.trainingConfig).toMatchObject({ init: from, replay: generated, replayShare: 1, epochs: 1 });
      expect(m.dataManifestSha256).toBe(j.manifestSha256);
      expect(existsSync(join(runDir, 'model.onnx'))).toBe(true);
    }
    // the folder's test split read by both pairs, with the same lines
    // --real: the folder read in place of the dev sets, under the names field's class
    expect(
      j.readings.map((x: { source: string; constraint: string }) => `${x.source} ${x.constraint}`),
    ).toEqual(['my-fields-test none', 'my-fields letters']);
    const ownRows = j.readings.filter((x: { source: string }) => x.source === 'my-fields-test');
    // lines of kind mixed have no field class: no second row that repeats the first
    expect(ownRows.map((x: { constraint: string }) => x.constraint)).toEqual(['none']);
    const own = ownRows[0];
    expect(own.lines).toBe(j.counts.test.lines);
    expect(own.lines).toBeGreaterThan(0);
    for (const side of [own.before, own.after]) {
      expect(side.exact).toBeGreaterThanOrEqual(0);
      expect(side.cer).toBeGreaterThanOrEqual(0);
    }
    expect(existsSync(join(j.reports.after, 'index.html'))).toBe(true);
    // line by line: every test line is fixed, broken, or read alike before and after
    expect(own.fixed + own.broken).toBeLessThanOrEqual(own.lines);
    expect(own.pValue).toBeGreaterThan(0);
    const comparison = JSON.parse(await readFile(join(j.reports.comparison, 'compare.json'), 'utf8'));
    const pairedOwn = comparison.sources.find((s: { source: string }) => s.source === 'my-fields-test');
    expect(pairedOwn.paired).toBe(true);
    expect(pairedOwn.changed.filter((l: { change: string }) => l.change === 'fixed')).toHaveLength(own.fixed);
    // the packed file is a reader of two members that hcr read loads
    const read = await hcr('read', join(folder, 'images', '0.png'), '--model', j.reader, '--json');
    expect(read.code, read.err).toBe(0);
    const answer = JSON.parse(read.out);
    expect(answer.model).toContain('my-fields-conv-1');
    expect(typeof answer.results[0].reading.text).toBe('string');
    expect(j.reader).toBe(join(runs, 'my-fields.onnx'));
  }, 300_000);

  it('keeps finished runs of the same lines and options, and refuses to replace one trained otherwise', async () => {
    const again = await finetune('--no-eval');
    expect(again.code, again.err).toBe(0);
    expect(again.err).toContain('my-fields-conv-1: trained already on these lines');
    expect(again.err).not.toContain('fine-tuning');
    // one reader: its own file is the reader written
    const single = await hcr(
      'finetune',
      folder,
      '--from',
      'base-a',
      '--name',
      'single',
      '--out',
      runs,
      '--lines',
      join(dir, 'imported'),
      '--workers',
      '1',
      '--epochs',
      '1',
      '--no-eval',
      '--json',
    );
    expect(single.code, single.err).toBe(0);
    const one = JSON.parse(single.out);
    expect(one.runs).toEqual([{ from: join(runs, 'base-a'), runDir: join(runs, 'single-conv') }]);
    expect(await readFile(one.reader)).toEqual(await readFile(join(runs, 'single-conv', 'model.onnx')));
    expect(one.readings).toEqual([]);
    const other = await finetune('--no-eval', '--replay-share', '2');
    expect(other.code).not.toBe(0);
    expect(other.err).toContain('holds another run (replayShare 1, not 2)');
    expect(other.err).toContain('--force');
  }, 120_000);

  it('stops at Ctrl-C with a checkpoint, exits 130, and the same command resumes that run and goes on', async () => {
    const args = ['finetune', folder, '--from', 'base-a,base-b', '--name', 'int', '--out', runs];
    args.push('--lines', join(dir, 'int-lines'), '--workers', '1', '--epochs', '3', '--no-eval');
    const { child, done } = startHcr([...args, '--json']);
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    while (!stderr.includes('int-conv-1: fine-tuning') && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGINT');
    const stopped = await done;
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(JSON.parse(stopped.stdout)).toEqual({ stopped: true, runDir: join(runs, 'int-conv-1') });
    expect(stopped.stderr).toContain('Run the same `hcr finetune` again to continue.');
    expect(existsSync(join(runs, 'int-conv-1', 'checkpoint'))).toBe(true);
    expect(existsSync(join(runs, 'int-conv-2'))).toBe(false); // the second reader was not started
    expect(existsSync(join(runs, 'int.onnx'))).toBe(false);

    const again = await hcr(...args);
    expect(again.code, again.err).toBe(0);
    expect(again.err).toMatch(/resuming run int-conv-1 at epoch \d+, batch \d+/);
    expect(again.err).toContain('int-conv-2: fine-tuning');
    for (const run of ['int-conv-1', 'int-conv-2']) {
      const m = JSON.parse(await readFile(join(runs, run, 'metadata.json'), 'utf8'));
      expect(m.trainingConfig).toMatchObject({ epochs: 3, replay: generated });
    }
    expect(existsSync(join(runs, 'int.onnx'))).toBe(true);
  }, 240_000);

  it('names the problem with bad input', async () => {
    const missing = await hcr('finetune', folder, '--from', 'nowhere', '--out', runs, '--workers', '1');
    expect(missing.err).toContain('--from nowhere: no saved model there');
    const pipeline = await hcr('finetune', folder, '--out', join(dir, 'empty-runs'), '--workers', '1');
    expect(pipeline.err).toContain("The pipeline's reader reader-pipeline is not under");
    expect(pipeline.err).toContain('pnpm turbo run train eval');
    const noLabels = await hcr(
      'finetune',
      join(dir, 'runs'),
      '--from',
      'base-a',
      '--out',
      runs,
      '--workers',
      '1',
    );
    expect(noLabels.err).toContain('labels.tsv does not exist');
    const name = await hcr('finetune', folder, '--name', 'a b', '--workers', '1');
    expect(name.err).toContain("--name 'a b' has characters");
    const share = await hcr('finetune', folder, '--replay-share', 'lots', '--workers', '1');
    expect(share.err).toContain("--replay-share must be a number from 0 to 100, got 'lots'");
    // a folder whose every image the preprocessing refuses: nothing to train on
    const blank = join(dir, 'blank-fields');
    await mkdir(join(blank, 'images'), { recursive: true });
    await writeFile(join(blank, 'images', 'blank.png'), await uniform(300, 60));
    await writeFile(join(blank, 'labels.tsv'), 'images/blank.png\tANNA\n');
    const empty = await hcr(
      'finetune',
      blank,
      '--from',
      'base-a',
      '--out',
      runs,
      '--lines',
      join(dir, 'blank-lines'),
      '--workers',
      '1',
    );
    // the rows and why none could be read, not only that no line was left
    expect(empty.err).toMatch(
      /None of the 1 rows of .*labels\.tsv has an image that could be read: images\/blank\.png: NO_INK/,
    );
    expect(existsSync(join(dir, 'blank-lines'))).toBe(false);
    expect(existsSync(join(runs, 'blank-fields-conv'))).toBe(false);
    // refused before anything is imported or trained
    const real = await hcr(
      'finetune',
      folder,
      '--from',
      'base-a',
      '--out',
      runs,
      '--lines',
      join(dir, 'never'),
      '--real',
      'held-out',
      '--workers',
      '1',
    );
    expect(real.err).toContain("'held-out' does not say which field its lines are");
    expect(existsSync(join(dir, 'never'))).toBe(false);
    for (const r of [missing, pipeline, noLabels, name, share, empty, real]) expect(r.code).not.toBe(0);
  });
});
