import { createCanvas, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { learningCurveSeries, renderLearningCurves } from '../src/charts/learning-curves.js';
import { renderIndexHtml } from '../src/html.js';
import { MIXED, report } from './hand-report.js';

/** The pipeline's hcrnet recipe, as metadata.json records it. */
const HCRNET = {
  labelSmoothing: 0.1,
  logitAdjust: 1,
  caseTwinShare: 0,
  dropout: 0.25,
  augment: { enabled: true, rotate: 12 },
};
const ROWS = [
  { epoch: 1, train_loss: 1.457, train_acc: 0.72, val_loss: 0.45, val_acc: 0.896 },
  { epoch: 2, train_loss: 1.139, train_acc: 0.8, val_loss: 0.377, val_acc: 0.911 },
];

describe('learning curves say what each series is', () => {
  it('names the training settings behind the train series, and validation as clean', () => {
    const s = learningCurveSeries(HCRNET);
    expect(s.train).toBe(
      'train (augmented images, label smoothing 0.1, logit-adjusted loss, dropout 0.25; mean over the epoch)',
    );
    expect(s.validation).toBe('validation (clean images, plain cross-entropy, no dropout; after the epoch)');
    // a seed-recipe run (no augmentation, no smoothing): nothing claimed that it did not do
    expect(learningCurveSeries({ labelSmoothing: 0, augment: { enabled: false } }).train).toBe(
      'train (clean images, plain loss; mean over the epoch)',
    );
    expect(learningCurveSeries({}).train).toBe('train (settings not recorded; mean over the epoch)');
  });

  it('draws the legend under both plots (the band under the epoch labels holds ink)', async () => {
    const img = await loadImage(renderLearningCurves(ROWS, { trainingConfig: HCRNET }));
    const ctx = createCanvas(img.width, img.height).getContext('2d');
    ctx.drawImage(img, 0, 0);
    // plots end at y 310, the epoch label at about 334; the legend's two lines sit under it, from x 70 to past
    // the middle of the picture (they are long)
    expect(img.height).toBeGreaterThanOrEqual(400);
    const band = ctx.getImageData(70, 355, img.width - 70, 40).data;
    let inkRight = 0;
    for (let i = 0; i < band.length; i += 4) {
      const x = 70 + ((i / 4) % (img.width - 70));
      if (x > 455 && band[i]! < 200) inkRight++;
    }
    expect(inkRight, 'legend text reaches past the left plot').toBeGreaterThan(50);
  });

  it('the page explains why the train loss sits above the validation loss', () => {
    const r = report(MIXED);
    r.model.trainingConfig = HCRNET;
    const html = renderIndexHtml(r, {}, ROWS);
    const note = html.slice(html.indexOf('<p id="learning-curves-note">'));
    expect(note).toContain(
      'Blue, <b>train (augmented images, label smoothing 0.1, logit-adjusted loss, dropout 0.25; mean over the epoch)</b>',
    );
    expect(note).toContain('The train loss sits above the validation loss by construction');
    expect(note).toContain('label smoothing keeps the lowest reachable loss above 0');
    expect(html).toContain('<th>train loss (epoch mean)</th>');
    // no training log, no note
    expect(renderIndexHtml(r, {}, [])).not.toContain('learning-curves-note');
  });
});
