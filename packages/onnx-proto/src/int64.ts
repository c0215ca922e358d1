import type { MessagePlan } from './wire.js';

/** protobufjs' 64-bit value (the `long` package's Long). */
interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
  toNumber(): number;
  toString(): string;
}

const isLong = (v: unknown): v is LongLike =>
  typeof v === 'object' && v !== null && typeof (v as LongLike).high === 'number' && 'unsigned' in v;

/**
 * Replaces, in place, the Long objects protobufjs decodes int64 and uint64 fields to by numbers, walking the
 * decoded object along `plan`. A value beyond JavaScript's safe integers (|v| > 2^53 - 1, e.g. INT64_MAX, which
 * models exported from PyTorch carry as Slice's `ends`) becomes an exact `bigint`, never a rounded number;
 * `encodeModel` writes it back as it was.
 */
export function longsToNumbers(message: Record<string, unknown>, plan: MessagePlan): void {
  const toNumber = (v: unknown): unknown => {
    if (!isLong(v)) return v;
    const n = v.toNumber();
    return Number.isSafeInteger(n) ? n : BigInt(v.toString());
  };
  const walk = (m: Record<string, unknown>, p: MessagePlan): void => {
    for (const field of p.fields.values()) {
      const value = m[field.name];
      if (value === undefined || value === null) continue;
      if (field.int64) {
        if (Array.isArray(value)) for (let i = 0; i < value.length; i++) value[i] = toNumber(value[i]);
        else m[field.name] = toNumber(value);
      } else if (field.message) {
        if (Array.isArray(value)) for (const v of value) walk(v as Record<string, unknown>, field.message);
        else walk(value as Record<string, unknown>, field.message);
      }
    }
  };
  walk(message, plan);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * The problem with an int64/uint64 value given to `encodeModel`, or undefined when it is one: a safe integer
 * (or a bigint in range). protobufjs wrote 2.7 as 2, NaN as 0 and 1e20 as INT64_MAX, in silence.
 */
export function int64Problem(v: unknown, kind: 'signed' | 'unsigned'): string | undefined {
  if (typeof v === 'bigint') {
    const [lo, hi] = kind === 'signed' ? [INT64_MIN, INT64_MAX] : [0n, UINT64_MAX];
    return v < lo || v > hi ? `${v}n, outside ${kind === 'signed' ? 'int64' : 'uint64'}` : undefined;
  }
  if (typeof v !== 'number') return `a ${typeof v} (${JSON.stringify(v)}), not an integer number`;
  if (!Number.isInteger(v)) return `${v}, not an integer`;
  if (!Number.isSafeInteger(v))
    return `${v}, beyond the integers a JavaScript number holds exactly (±(2^53 - 1)): pass a bigint`;
  if (kind === 'unsigned' && v < 0) return `${v}, negative for a uint64`;
  return undefined;
}
