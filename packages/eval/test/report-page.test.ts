import { describe, expect, it } from 'vitest';
import { formatNumber, renderIndexHtml } from '../src/html.js';
import { PICTURES } from '../src/report-pictures.js';
import { MIXED, report } from './hand-report.js';

describe('the character report page', () => {
  const r = report(MIXED);
  const html = renderIndexHtml(r, {}, [
    { epoch: 1, lr: 0.001640801123438567, train_loss: 1.4569580416801649, val_acc: 0.8963943404837974 },
    { epoch: 2, lr: 0.000030002136555282732, train_loss: 1.1394393283587236, val_acc: 0.9105431309904153 },
  ]);

  it('labels the headline ECE as pooled over the test split, with the per-source range beside it', () => {
    const per = Object.values(r.sources).map((s) => s!.ece);
    // the case the card is for: the pooled ECE is below every source's own
    expect(r.calibration.ece).toBeLessThan(Math.min(...per));
    const cardHtml = html.slice(html.indexOf('id="ece"'), html.indexOf('id="twin-share"'));
    expect(cardHtml).toContain(
      `expected calibration error, pooled over the test split; per source ${(Math.min(...per) * 100).toFixed(2)}% to ${(Math.max(...per) * 100).toFixed(2)}% (pooled, over- and under-confidence cancel)`,
    );
    // each source's ECE named in the Calibration section
    expect(html).toContain(
      `pooled over the test split (per source: mnist ${(r.sources.mnist!.ece * 100).toFixed(2)}%, emnist-letters-repack`,
    );
  });

  it('makes the sortable headers buttons and marks the sorted column with aria-sort', () => {
    expect(html).toContain(
      '<table id="per-class" class="sortable"><thead><tr><th aria-sort="ascending"><button type="button">class</button></th><th><button type="button">precision</button></th>',
    );
    expect(html).toContain("setAttribute('aria-sort'");
  });

  it('formats the recorded training numbers: 4 significant digits, seconds with one decimal', () => {
    expect(html).toContain('<td>val_acc</td><td>0.9105</td>');
    expect(html).toContain('<td>train_seconds</td><td>822.5</td>');
    expect(html).toContain('<td>images_per_s</td><td>303.4</td>');
    expect(html).toContain('<td>steps</td><td>1950</td>');
    expect(html).toContain('{&quot;rotate&quot;:12,&quot;scale&quot;:0.1235}');
    expect(html).toContain('<td>0.00003</td></tr>'); // the last epoch's lr
    expect(html).toContain('<td>0.001641</td></tr>');
    expect(html).not.toMatch(/\d\.\d{7,}/);
  });

  it('puts every table in a sideways-scrolling box and wraps long key/value values (375-px screens)', () => {
    const tables = html.match(/<table[ >]/g) ?? [];
    expect(tables.length).toBeGreaterThan(5);
    expect(html.match(/<div class="scroll"><table[ >]/g)).toHaveLength(tables.length);
    expect(html).toContain('div.scroll{overflow-x:auto;max-width:100%}');
    expect(html).toContain('table.kv td:last-child{text-align:left;overflow-wrap:anywhere}');
    expect(html).toContain('<div class="scroll"><table class="kv"><tr><td>architecture</td>');
  });

  it("describes each picture's content in its alt text, not the caption again", () => {
    const withPictures = { ...r, pictures: { ...PICTURES } };
    const files = Object.fromEntries(Object.values(PICTURES).map((f) => [f, Buffer.from('png')]));
    const page = renderIndexHtml(withPictures, files, [
      {
        epoch: 1,
        train_loss: 1.4569580416801649,
        val_loss: 0.42,
        train_acc: 0.7,
        val_acc: 0.8963943404837974,
      },
      {
        epoch: 2,
        train_loss: 1.1394393283587236,
        val_loss: 0.377,
        train_acc: 0.8,
        val_acc: 0.9105431309904153,
      },
    ]);
    const figures = [
      ...page.matchAll(/<img [^>]*alt="([^"]*)" data-file="([^"]+)"><figcaption>([^(]*)\(/g),
    ].map((m) => ({ alt: m[1]!, file: m[2]!, caption: m[3]!.trim() }));
    expect(figures.map((f) => f.file).sort()).toEqual(Object.values(PICTURES).sort());
    for (const f of figures) expect(f.alt, f.file).not.toBe(f.caption);
    const alt = (file: string) => figures.find((f) => f.file === file)!.alt;
    expect(alt('confusion.png')).toMatch(
      /^Confusion matrix of the 36 classes on the test split \(12 images\): one row per true class, one column per predicted class/,
    );
    expect(alt('confusion.png')).toContain('the most frequent confusion is 0&lt;-&gt;O');
    expect(alt('mistakes.png')).toMatch(
      /^Test images the model got wrong, one row per frequent confusion.*true 0 read as O \(3\)/,
    );
    expect(alt('predictions.png')).toBe(
      'A grid of 12 random test images, each framed green when read right and red when wrong, with the prediction, its confidence and the true class.',
    );
    expect(alt('class-f1.png')).toMatch(
      /^Bar chart of the F1 score of each of the 36 classes on the test split, from /,
    );
    expect(alt('reliability.png')).toMatch(
      /^Reliability diagrams, one per source \(mnist, emnist-letters-repack, emnist-digits-repack\): accuracy against confidence in 15 confidence bins/,
    );
    expect(alt('learning-curves.png')).toContain('over 2 epochs');
    expect(alt('learning-curves.png')).toContain(
      'at the last epoch train loss 1.139 and validation loss 0.377',
    );
  });

  it('formatNumber', () => {
    expect(formatNumber(0.9105431309904153)).toBe('0.9105');
    expect(formatNumber(0.000030002136555282732, 'lr')).toBe('0.00003');
    expect(formatNumber(822.5483537000001, 'train_seconds')).toBe('822.5');
    expect(formatNumber(56.232935542999996, 'seconds')).toBe('56.2');
    expect(formatNumber(12345.678)).toBe('12345.7');
    expect(formatNumber(1950)).toBe('1950');
  });
});
