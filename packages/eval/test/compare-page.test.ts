import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL_SPACE_62 } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { compareReports, compareSummary, diffReports, renderCompareHtml } from '../src/compare.js';
import { APPLIED_CALIBRATION, MIXED, report } from './hand-report.js';

describe('hcr eval --compare: names, order, units', () => {
  const a = report(MIXED, 'pipeline');
  // B: the same model id on 3 test images (2 MNIST, 1 letter): fewer 0/O errors (1 vs 3) but more per image
  const b = report([MIXED[0]!, MIXED[3]!, MIXED[6]!, ...MIXED.slice(12)], 'pipeline');
  const dirs = { a: '/reports/one/pipeline', b: '/reports/two/pipeline' };
  const c = diffReports(a, b, dirs);

  it('names two reports of the same model id by their folders, A first on the page and the terminal line', () => {
    expect(c.a.name).toBe(dirs.a);
    expect(c.b.name).toBe(dirs.b);
    const html = renderCompareHtml(c);
    expect(html).toContain(`<h1>${dirs.a} (A) vs ${dirs.b} (B)</h1>`);
    const line = compareSummary(c, '/reports/compare-x');
    const acc = c.headline[0]!;
    const points = ((acc.b - acc.a) * 100).toFixed(2);
    expect(line).toMatch(
      new RegExp(
        `^${dirs.a} \\(A\\) vs ${dirs.b} \\(B\\): overall accuracy ${(acc.a * 100).toFixed(2)}% vs ${(acc.b * 100).toFixed(2)}% \\(B minus A: ${points} points\\)`,
      ),
    );
    expect(line.split('\n')[1]).toBe(`Comparison: ${join('/reports/compare-x', 'index.html')}`);
    // different ids keep the ids
    const other = diffReports(a, report(MIXED, 'other'), dirs);
    expect([other.a.name, other.b.name]).toEqual(['pipeline', 'other']);
  });

  it("shows both supports when they differ and compares confusions per 1,000 images when the splits' sizes differ", () => {
    expect(c.ratesCompared).toBe(true);
    const html = renderCompareHtml(c);
    expect(html).toContain('<th>support A</th><th>support B</th>');
    const zero = c.perClass.find((k) => k.class === '0')!;
    expect([zero.support, zero.supportB]).toEqual([6, 2]);
    expect(html).toContain('<tr><td>0</td><td>6</td><td>2</td>');
    const pair = c.confusions.find((p) => p.pair === '0<->O')!;
    // A: 3 errors in 12 test images, B: 1 in 3. As counts B looks better (-2); per 1,000 images it is worse
    expect(pair).toMatchObject({ a: 3, b: 1, delta: -2 });
    expect(pair.aPer1000).toBe(250);
    expect(pair.bPer1000).toBeCloseTo(333.333, 3);
    expect(html).toContain('errors per 1,000 test images of each report');
    expect(html).toContain(
      '<td>0&lt;-&gt;O</td><td>250.00 <small>(3)</small></td><td>333.33 <small>(1)</small></td><td class="bad">+83.33</td>',
    );
    // the same images: one support column, counts
    const same = renderCompareHtml(diffReports(a, a));
    expect(same).toContain('<th>support</th><th>F1 A</th>');
    expect(same).toContain('as counts: both scored 12 test images');
  });

  it('shows macro-F1 as the report does (0.8936), with a viewport line', () => {
    const html = renderCompareHtml(c);
    const f1 = c.headline.find((h) => h.metric === 'overall macro-F1')!;
    expect(html).toContain(`<td>overall macro-F1</td><td>${f1.a.toFixed(4)}</td><td>${f1.b.toFixed(4)}</td>`);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  });

  it('refuses two reports of different label spaces with an error naming both (it crashed on the class lists)', () => {
    const b62 = { ...b, labelSpace: 'hcr62', classNames: LABEL_SPACE_62.classes } as typeof b;
    expect(() => diffReports(a, b62)).toThrow(
      expect.objectContaining({
        code: 'COMPARE_LABEL_SPACES',
        message: expect.stringMatching(/pipeline hcr36, pipeline hcr62/),
      }),
    );
  });
});

describe('hcr eval --compare: figures not measured alike', () => {
  const raw = report(MIXED, 'raw-run');
  const calibrated = report(MIXED, 'calibrated-run');
  calibrated.calibration = {
    ...calibrated.calibration,
    ece: 0.01,
    applied: APPLIED_CALIBRATION,
    uncalibrated: { ece: 0.2, sources: {} },
  };

  it('says when the calibration differs, so an ECE difference is not shown as a better model', () => {
    const c = diffReports(raw, calibrated);
    expect(c.sameData).toBe(true); // the same images: only the calibration differs
    expect([c.a.calibration, c.b.calibration]).toEqual(['none', 'answer-kind-temperature']);
    expect(c.measurementDifferences).toEqual([
      "calibration none vs answer-kind-temperature: the ECE delta is largely the calibration, not a better or worse model (the raw models' ECE: A 0.00%, B 20.00%)",
    ]);
    const html = renderCompareHtml(c);
    expect(html).toContain('id="measurement-differences"');
    // the ECE row is not coloured as an improvement
    expect(html).toMatch(
      /<tr><td>ECE <small class="bad">\(calibration none vs answer-kind-temperature: not like for like\)<\/small><\/td><td>[^<]*<\/td><td>[^<]*<\/td><td>-[\d.]+ pts<\/td><\/tr>/,
    );
    expect(diffReports(calibrated, calibrated).measurementDifferences).toEqual([]);
  });

  it('says when the eval.json formats differ, and reads a newer or an older report', async () => {
    const newer = { ...raw, formatVersion: 2 } as unknown as typeof raw;
    expect(diffReports(raw, newer).measurementDifferences).toEqual([
      'eval.json formatVersion 1 vs 2: a figure may not mean the same in both; evaluate both with the same hcr',
    ]);
    // an old eval.json: no uid, hashes or environment (the hand-made report has none), and a newer one, from disk
    const out = await mkdtemp(join(tmpdir(), 'hcr-compare-versions-'));
    for (const [name, r] of [
      ['old', raw],
      ['newer', newer],
    ] as const) {
      await mkdir(join(out, name));
      await writeFile(join(out, name, 'eval.json'), JSON.stringify(r));
    }
    const { compare } = await compareReports({ a: 'old', b: 'newer', outDir: out });
    expect(compare.a).toMatchObject({ formatVersion: 1, uid: null, weightsSha256: null });
    expect(compare.measurementDifferences[0]).toMatch(/^eval.json formatVersion 1 vs 2/);
  });
});
