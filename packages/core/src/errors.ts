/**
 * An error a user can act on: what went wrong, and the command or change that fixes it.
 * `message` is the whole paragraph (problem, then hint); the CLI prints it and exits with `exitCode`.
 */
export class HcrError extends Error {
  readonly code: string;
  /** What went wrong, without the fix. */
  readonly problem: string;
  readonly hint?: string;
  readonly exitCode: number;

  constructor(
    code: string,
    problem: string,
    options: { hint?: string; cause?: unknown; exitCode?: number } = {},
  ) {
    const paragraph = options.hint ? `${problem} ${options.hint}` : problem;
    super(paragraph, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HcrError';
    this.code = code;
    this.problem = problem;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }

  /** The problem and the fix as one paragraph. */
  toParagraph(): string {
    return this.message;
  }
}

export function isHcrError(e: unknown): e is HcrError {
  return e instanceof HcrError;
}
