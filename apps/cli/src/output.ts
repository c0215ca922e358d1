import { HcrError, isHcrError } from '@hcr/core';
import { Option } from 'commander';
import pc from 'picocolors';

type Env = Record<string, string | undefined>;

/**
 * Whether text bound for `stream` gets colour, decided per stream so `hcr predict x.png > out.txt` stays
 * plain even when stderr is a terminal. FORCE_COLOR decides when set (0 or false: never), as in Node;
 * else a non-empty NO_COLOR turns colour off (https://no-color.org); else only a terminal gets it.
 */
export function wantsColour(stream: { isTTY?: boolean }, env: Env = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR) return false;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export interface Paint {
  red(s: string): string;
  green(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const ansi = pc.createColors(true);

/** Styles that ask about the stream at each call (a test or a wrapper may change isTTY). */
function paintFor(stream: { isTTY?: boolean }): Paint {
  const style = (f: (s: string) => string) => (s: string) => (wantsColour(stream) ? f(s) : s);
  return { red: style(ansi.red), green: style(ansi.green), bold: style(ansi.bold), dim: style(ansi.dim) };
}

/** Colours for results written to stdout (predict, read, data info): decided by stdout alone. */
export const out: Paint = paintFor(process.stdout);
/** Colours for log lines on stderr (`log`, errors): decided by stderr alone. */
export const { red, green, bold, dim }: Paint = paintFor(process.stderr);

/** Machine-readable output for `--json`: one JSON document on stdout, nothing else there. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Human log lines go to stderr so stdout stays clean for data. */
export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** An error as a JSON document on stdout: with --json, stdout stays parseable even on failure (as npm --json does). */
export function printJsonError(error: { code: string; message: string; hint?: string }): void {
  process.stdout.write(`${JSON.stringify({ error })}\n`);
}

/** One paragraph for any failure; HcrError carries its own fix. Returns the exit code. */
export function reportError(e: unknown, { json = false }: { json?: boolean } = {}): number {
  const writeJson = (error: { code: string; message: string; hint?: string }) => {
    if (json) printJsonError(error);
  };
  if (isHcrError(e)) {
    log(`${red('error')} ${e.toParagraph()}`);
    writeJson({ code: e.code, message: e.problem, ...(e.hint ? { hint: e.hint } : {}) });
    return e.exitCode;
  }
  const err = e as Error;
  log(`${red('error')} ${err?.message ?? String(e)}`);
  writeJson({ code: 'UNEXPECTED', message: err?.message ?? String(e) });
  if (process.env.HCR_DEBUG) log(String(err?.stack));
  return 1;
}

/** What commands that answer per image print: text for people, JSON or CSV for programs and spreadsheets. */
export const OUTPUT_FORMATS = ['text', 'json', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The `--format` option of commands that answer per image (`formats`: any more a command writes, with their help). */
export function formatOption(
  more: { formats: readonly string[]; help: string } = { formats: [], help: '' },
): Option {
  return new Option(
    '--format <format>',
    `text | json | csv (a header, then one row per image)${more.help}`,
  ).choices([...OUTPUT_FORMATS, ...more.formats]);
}

/** --format, with --json kept as its short form; the two may not disagree. */
export function outputFormat<F extends string = OutputFormat>(opts: {
  format?: F;
  json?: boolean;
}): F | OutputFormat {
  if (opts.json && opts.format && opts.format !== 'json')
    throw new HcrError('BAD_OPTION', `--json and --format ${opts.format} ask for two different outputs.`, {
      hint: 'Pass one of them.',
    });
  return opts.format ?? (opts.json ? 'json' : 'text');
}
