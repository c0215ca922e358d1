import { pct } from './html.js';
import type { EvalReport } from './report.js';

/** The one paragraph `hcr eval` ends with: headline numbers, the top confusion, speed, where the page is. */
export function evalSummary(r: EvalReport, indexHtml: string): string {
  const parts = Object.entries(r.sources).map(
    ([name, s]) => `${name} ${pct(s!.accuracy)} (own-class ${pct(s!.ownClassAccuracy)})`,
  );
  const top = r.overall.topConfusions[0];
  const speed = r.timing.runtimes
    .map(
      (t) => `${t.description}${t.workers > 1 ? ` x${t.workers} workers` : ''} ${t.imagesPerSecond} images/s`,
    )
    .join(', ');
  const agreement = r.agreement
    ? ` ${r.agreement.runtimes.join(' and ')} give the same prediction on ${pct(r.agreement.samePredictionShare, 3)} of the images (accuracy delta ${r.agreement.accuracyDeltaPoints.toFixed(4)} points${r.agreement.agree ? '' : ', NOT within the 99.99% / 0.01-point bound'}).`
    : '';
  const c = r.caseSensitive;
  const letters = c
    ? Object.keys(c.folded[0]?.sources ?? {}).find((n) => n !== 'mnist' && !n.includes('digits'))
    : undefined;
  const folded = c
    ? `Folded: ${c.folded
        .map((f) => {
          const l = letters ? f.sources[letters as keyof typeof f.sources] : undefined;
          return `${f.classes}-way ${pct(f.accuracy)}${l ? ` (letters ${pct(l.accuracy)}, letters-only ${pct(l.ownClassAccuracy)})` : ''}`;
        })
        .join(
          ', ',
        )}; lowercase ${pct(c.lower.accuracy)} (restricted to lowercase ${pct(c.lower.restrictedAccuracy)}, as served ${pct(c.lower.servedAccuracy)}), uppercase ${pct(c.upper.accuracy)} (restricted ${pct(c.upper.restrictedAccuracy)}, as served ${pct(c.upper.servedAccuracy)}); ${pct(c.caseTwinErrors.share, 1)} of test errors only got the case wrong. `
    : '';
  return (
    `${r.model.id} (${r.model.architecture}) scores ${pct(r.overall.accuracy)} on the ${r.overall.count} test images ` +
    `(top-3 ${pct(r.overall.top3Accuracy)}, macro-F1 ${r.overall.macroF1.toFixed(4)}, ECE ${pct(r.calibration.ece)}): ${parts.join('; ')}. ` +
    (top
      ? `The most frequent confusion is ${top.pair} (${top.total} errors); ${pct(r.twins.share, 1)} of all test errors are digit/letter twins. `
      : 'No errors. ') +
    folded +
    `Speed: ${speed}.${agreement}${r.data.matchesTraining ? '' : ' Note: this is not the dataset the model was trained on.'}\n` +
    `Report: ${indexHtml}`
  );
}
