import { writeFileAtomic } from '@hcr/core';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import type { EpochMetrics } from './checkpoint.js';

const FONT_DIR = '/usr/share/fonts/truetype/dejavu';
let fontsLoaded = false;

function loadFonts(): string {
  if (!fontsLoaded) {
    GlobalFonts.loadFontsFromDir(FONT_DIR);
    fontsLoaded = true;
  }
  return GlobalFonts.has('DejaVu Sans') ? 'DejaVu Sans' : 'sans-serif';
}

interface Series {
  label: string;
  colour: string;
  points: [number, number][];
  dashed?: boolean;
}

/**
 * Learning curve: loss (left panel) and accuracy (right panel) against optimizer steps.
 * Smoothed train values along the way, validation at each epoch end.
 */
export async function writeLearningCurve(
  path: string,
  title: string,
  curve: [number, number, number][],
  history: EpochMetrics[],
): Promise<void> {
  const font = loadFonts();
  const W = 1200;
  const H = 500;
  const canvas = createCanvas(W, H);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#000000';
  ctx.font = `18px ${font}`;
  ctx.fillText(title, 20, 28);
  const maxStep = Math.max(1, ...curve.map((c) => c[0]), ...history.map((h) => h.step));
  const panel = (x0: number, name: string, series: Series[], yMin: number, yMax: number) => {
    const left = x0 + 60;
    const top = 60;
    const w = W / 2 - 90;
    const h = H - 120;
    ctx.strokeStyle = '#888';
    ctx.lineWidth = 1;
    ctx.strokeRect(left, top, w, h);
    ctx.font = `13px ${font}`;
    ctx.fillStyle = '#000';
    ctx.fillText(name, left, top - 8);
    const sx = (s: number) => left + (s / maxStep) * w;
    const sy = (v: number) => top + h - ((v - yMin) / (yMax - yMin || 1)) * h;
    for (let i = 0; i <= 4; i++) {
      const v = yMin + ((yMax - yMin) * i) / 4;
      ctx.fillStyle = '#444';
      ctx.fillText(v.toFixed(yMax <= 1.5 ? 3 : 2), x0 + 5, sy(v) + 4);
      ctx.strokeStyle = '#eee';
      ctx.beginPath();
      ctx.moveTo(left, sy(v));
      ctx.lineTo(left + w, sy(v));
      ctx.stroke();
    }
    ctx.fillStyle = '#444';
    ctx.fillText('0', left, top + h + 16);
    ctx.fillText(`step ${maxStep}`, left + w - 70, top + h + 16);
    series.forEach((s, k) => {
      ctx.strokeStyle = s.colour;
      ctx.fillStyle = s.colour;
      ctx.lineWidth = 2;
      ctx.setLineDash(s.dashed ? [6, 4] : []);
      ctx.beginPath();
      for (const [i, [x, y]] of s.points.entries()) {
        if (i) ctx.lineTo(sx(x), sy(y));
        else ctx.moveTo(sx(x), sy(y));
      }
      ctx.stroke();
      for (const [x, y] of s.points.length < 40 ? s.points : []) ctx.fillRect(sx(x) - 3, sy(y) - 3, 6, 6);
      ctx.setLineDash([]);
      ctx.fillRect(left + 10 + k * 170, top + h + 30, 14, 3);
      ctx.fillStyle = '#000';
      ctx.fillText(s.label, left + 28 + k * 170, top + h + 36);
    });
  };
  const lossSeries: Series[] = [
    { label: 'train loss', colour: '#1f77b4', points: curve.map((c) => [c[0], c[1]]) },
    { label: 'val loss', colour: '#d62728', points: history.map((h) => [h.step, h.val_loss]), dashed: true },
  ];
  const accSeries: Series[] = [
    { label: 'train acc', colour: '#1f77b4', points: curve.map((c) => [c[0], c[2]]) },
    { label: 'val acc', colour: '#d62728', points: history.map((h) => [h.step, h.val_acc]), dashed: true },
  ];
  const losses = lossSeries.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const accs = accSeries.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  panel(
    0,
    'loss (train: in training mode, with dropout and any smoothing or augmentation)',
    lossSeries,
    0,
    Math.max(0.5, ...losses),
  );
  panel(W / 2, 'accuracy', accSeries, Math.max(0, Math.min(0.9, ...accs) - 0.02), 1);
  await writeFileAtomic(path, await canvas.encode('png'));
}
