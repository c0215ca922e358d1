import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { ReaderCompareReport, RealSetSpec } from '@hcr/eval';
import type { InitModel } from '@hcr/train';
import { log } from '../output.js';
import type { Member } from './members.js';

/** The imported test split (and the dev sets, when found) read by the readers started from, then by the new ones. */
export async function readBeforeAndAfter(
  bases: InitModel[],
  members: Member[],
  opts: { linesDir: string; real?: RealSetSpec[]; name: string; reportsDir?: string },
): Promise<{ compare: ReaderCompareReport; beforeDir: string; afterDir: string; compareDir: string }> {
  const { compareReaderReports, DEFAULT_REPORTS_DIR, evaluateReader } = await import('@hcr/eval');
  const read = async (dirs: string[], reportName: string) => {
    // ONNX when every reader has its file (the runtime `hcr read` uses), else tfjs
    const onnx = dirs.every((d) => existsSync(join(d, 'model.onnx')));
    log(`reading with ${dirs.map((d) => basename(d)).join(' + ')} (${onnx ? 'onnxruntime' : 'tfjs'})`);
    return evaluateReader({
      run: dirs[0],
      ensemble: dirs.slice(1),
      runtime: onnx ? 'onnx' : 'tfjs',
      linesDir: opts.linesDir,
      real: opts.real,
      outDir: opts.reportsDir,
      reportName,
      force: true,
      log,
    });
  };
  const before = await read(
    bases.map((b) => b.dir),
    `finetune-${opts.name}-before`,
  );
  const after = await read(
    members.map((m) => m.runDir),
    `finetune-${opts.name}-after`,
  );
  // line by line: which lines the fine-tuning fixed and broke, and whether the split is more than chance
  const { compare, dir } = await compareReaderReports({
    a: before.reportDir,
    b: after.reportDir,
    dir: join(resolve(opts.reportsDir ?? DEFAULT_REPORTS_DIR), `finetune-${opts.name}`),
    force: true,
  });
  return { compare, beforeDir: before.reportDir, afterDir: after.reportDir, compareDir: dir };
}

export interface ReadingRow {
  source: string;
  constraint: string;
  lines: number;
  before: { exact: number; cer: number };
  after: { exact: number; cer: number };
  /** Lines wrong before and right after, the other way, and the sign test's p (null: not paired). */
  fixed: number | null;
  broken: number | null;
  pValue: number | null;
}

/**
 * Each source's headline constraint before and after; for `fielded`, the imported test split when its lines are
 * of one kind (`--kind amount`), its class too (`field`).
 */
export function readingRows(c: ReaderCompareReport, fielded?: string): ReadingRow[] {
  return c.sources.flatMap((s) => {
    const names = [s.headline, ...(s.source === fielded && s.headline !== 'field' ? ['field'] : [])];
    return s.constraints
      .filter((k) => names.includes(k.name))
      .map((k) => ({
        source: s.source,
        constraint: k.name,
        lines: s.lines,
        before: { exact: k.a.exactRate, cer: k.a.cer },
        after: { exact: k.b.exactRate, cer: k.b.cer },
        fixed: k.paired?.fixed ?? null,
        broken: k.paired?.broken ?? null,
        pValue: k.paired?.pValue ?? null,
      }));
  });
}

/** The rows as a table for the terminal. */
export function formatComparison(rows: ReadingRow[]): string[] {
  const pc = (x: number) => `${(100 * x).toFixed(2)}%`;
  const cell = (r: { exact: number; cer: number }) => `${pc(r.exact)} / ${pc(r.cer)}`.padStart(18);
  const p = (x: number | null) => (x === null ? '-' : x < 0.001 ? '< 0.001' : x.toFixed(3));
  const width = Math.max(6, ...rows.map((r) => r.source.length));
  return [
    `${'source'.padEnd(width)} ${'constraint'.padEnd(10)} ${'lines'.padStart(6)} ${'before'.padStart(18)} ${'after'.padStart(18)} ${'fixed'.padStart(6)} ${'broken'.padStart(7)} ${'p'.padStart(8)}`,
    ...rows.map(
      (r) =>
        `${r.source.padEnd(width)} ${r.constraint.padEnd(10)} ${String(r.lines).padStart(6)} ${cell(r.before)} ${cell(r.after)} ${String(r.fixed ?? '-').padStart(6)} ${String(r.broken ?? '-').padStart(7)} ${p(r.pValue).padStart(8)}`,
    ),
  ];
}
