/** Facts of an error that a front end (HTTP, the command line) needs to word its own fix, e.g. `{ pages: 3 }`. */
export type HcrErrorDetails = Readonly<Record<string, string | number | boolean>>;

/**
 * Marks every HcrError, whichever copy of @hcr/core made it: an app and a library may each install their own version,
 * and `instanceof` of one copy's class answered false for the other's errors (the CLI then printed a stack trace
 * instead of the problem and its fix).
 */
const BRAND = Symbol.for('@hcr/core HcrError');

/**
 * An error a user can act on: what went wrong, and the command or change that fixes it.
 * `message` is the whole paragraph (problem, then hint); the CLI prints it and exits with `exitCode`.
 * Libraries word the hint for any caller; a front end may word it in its own terms from `code` and `details`
 * (the HTTP service names query parameters, the CLI its flags).
 */
export class HcrError extends Error {
  readonly code: string;
  /** What went wrong, without the fix. */
  readonly problem: string;
  readonly hint?: string;
  readonly details?: HcrErrorDetails;
  readonly exitCode: number;

  constructor(
    code: string,
    problem: string,
    options: { hint?: string; cause?: unknown; exitCode?: number; details?: HcrErrorDetails } = {},
  ) {
    const paragraph = options.hint ? `${problem} ${options.hint}` : problem;
    super(paragraph, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HcrError';
    this.code = code;
    this.problem = problem;
    this.hint = options.hint;
    if (options.details) this.details = options.details;
    this.exitCode = options.exitCode ?? 1;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** `e instanceof HcrError` holds for the errors of every copy of @hcr/core; a subclass checks as usual. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` names (HcrError or a subclass)
    if (this !== HcrError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** The problem and the fix as one paragraph. */
  toParagraph(): string {
    return this.message;
  }

  /** The same error with its problem named, e.g. by which of several images it is (`images[2]: ...`). */
  naming(which: string): HcrError {
    return new HcrError(this.code, `${which}: ${this.problem}`, {
      hint: this.hint,
      details: this.details,
      exitCode: this.exitCode,
      cause: this,
    });
  }
}

/** True for an HcrError of any copy of @hcr/core (see BRAND). */
export function isHcrError(e: unknown): e is HcrError {
  return e instanceof HcrError;
}
