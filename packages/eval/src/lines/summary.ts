import { hasCaseExact } from './metrics.js';
import type { LinesReport } from './report.js';

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const pc = (x: number) => `${(x * 100).toFixed(2)}%`;
/** A 95% interval in points, `67.9-76.0` (a report written before intervals were: `-`). */
const interval = (i: readonly [number, number] | undefined) =>
  i ? `${(i[0] * 100).toFixed(1)}-${(i[1] * 100).toFixed(1)}` : '-';

/**
 * The short table `hcr eval <reader>` ends with: per source x constraint, lines, CER, exact with its 95% interval
 * (and case-exact for a case-sensitive reader), full-string match, runtime disagreements, then read speed per runtime and where the report is.
 */
export function readerSummary(r: LinesReport, indexHtml: string): string {
  const width = Math.max(10, ...r.sources.flatMap((s) => s.constraints.map((c) => c.name.length)));
  // A case-sensitive reader also gets exact match with case respected.
  const cased = hasCaseExact(r.sources);
  const casedCell = (x: number | undefined) => (cased ? ` ${lpad(x === undefined ? '-' : pc(x), 10)}` : '');
  const head = `${pad('source', 26)} ${pad('constraint', width)} ${lpad('lines', 6)} ${lpad('CER', 8)} ${lpad('exact', 8)} ${lpad('95% CI', 11)}${cased ? ` ${lpad('case-exact', 10)}` : ''} ${lpad('full', 8)} ${lpad('differ', 7)}`;
  const rows = r.sources.flatMap((s) =>
    s.constraints.map(
      (c) =>
        `${pad(s.name, 26)} ${pad(c.name, width)} ${lpad(String(c.count), 6)} ${lpad(pc(c.cer), 8)} ${lpad(
          pc(c.exactRate),
          8,
        )} ${lpad(interval(c.exactInterval), 11)}${casedCell(c.caseExactRate)} ${lpad(pc(c.fullMatchRate), 8)} ${lpad(c.agreement ? String(c.agreement.disagreements) : '-', 7)}`,
    ),
  );
  const cases = r.sources
    .filter((s) => s.caseConfusion)
    .map(
      ({ name, caseConfusion: c }) =>
        `${name}: case (no constraint) lower -> capital ${caseRate(c!.lower)}, capital -> lower ${caseRate(c!.upper)}`,
    );
  const failed = r.sources
    .filter((s) => s.failed.count)
    .map((s) => `${s.name}: ${s.failed.count} failed reads (${Object.keys(s.failed.byCode).join(', ')})`);
  const speed = r.timing.sources.map((t) => `${t.source} ${t.runtime} ${t.linesPerSecond} lines/s`);
  const skipped = r.skipped.map((s) => `skipped ${s.source}: ${s.reason}`);
  return [
    `${r.model.id}: beam ${r.decoding.beam}, ${r.runtimes.map((x) => x.description).join(' and ')} (scored: ${r.runtime})`,
    head,
    ...rows,
    ...cases,
    ...failed,
    ...skipped,
    `speed: ${speed.join(', ')}`,
    `Report: ${indexHtml}`,
  ].join('\n');
}

/** A case-confusion rate with its count: none of a case in the truths is "n/a", not 0.00%. */
function caseRate(c: { count: number; rate: number }): string {
  return c.count === 0 ? 'n/a (none in the truths)' : `${pc(c.rate)} of ${c.count}`;
}
