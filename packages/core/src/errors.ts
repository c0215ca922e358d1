/**
 * An error a user can act on: what went wrong, and the command or change that fixes it.
 * The CLI prints `message` and `hint` as one paragraph and exits with `exitCode`.
 */
export class HcrError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly exitCode: number;

  constructor(
    code: string,
    message: string,
    options: { hint?: string; cause?: unknown; exitCode?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HcrError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }

  /** The message and the fix as one paragraph. */
  toParagraph(): string {
    return this.hint ? `${this.message} ${this.hint}` : this.message;
  }
}

export function isHcrError(e: unknown): e is HcrError {
  return e instanceof HcrError;
}
