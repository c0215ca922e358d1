import { isHcrError } from '@hcr/core';

/** Colours only on a TTY and when NO_COLOR is unset (https://no-color.org). */
export const useColour = Boolean(process.stderr.isTTY) && !('NO_COLOR' in process.env);

const paint = (code: string) => (s: string) => (useColour ? `\u001b[${code}m${s}\u001b[0m` : s);
export const red = paint('31');
export const green = paint('32');
export const bold = paint('1');
export const dim = paint('2');

/** Machine-readable output for `--json`: one JSON document on stdout, nothing else there. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Human log lines go to stderr so stdout stays clean for data. */
export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** One paragraph for any failure; HcrError carries its own fix. Returns the exit code. */
export function reportError(e: unknown): number {
  if (isHcrError(e)) {
    log(`${red('error')} ${e.toParagraph()}`);
    return e.exitCode;
  }
  const err = e as Error;
  log(`${red('error')} ${err?.message ?? String(e)}`);
  if (process.env.HCR_DEBUG) log(String(err?.stack));
  return 1;
}
