import protobuf from 'protobufjs';
import { OnnxProtoError } from './errors.js';

/** How a field's values are laid out on the wire. */
type Kind = 'varint' | 'i64' | 'i32' | 'len' | 'message';

export interface FieldPlan {
  name: string;
  /** `GraphProto.node` */
  id: string;
  /** The protobuf type as the schema says it (for messages). */
  type: string;
  kind: Kind;
  repeated: boolean;
  /** The field holds an enum's values (its name is `type`). */
  isEnum: boolean;
  /** int64 (signed) or uint64 (unsigned) fields, which JavaScript numbers hold exactly up to 2^53 - 1. */
  int64?: 'signed' | 'unsigned';
  message?: MessagePlan;
}

/** A message type as the wire walk needs it: its fields by number. */
export interface MessagePlan {
  name: string;
  fields: Map<number, FieldPlan>;
  /** The same fields by name. */
  byName: Map<string, FieldPlan>;
  /** The names of each oneof's fields (at most one of them may be set). */
  oneofs: string[][];
}

const I64 = new Set(['double', 'fixed64', 'sfixed64']);
const I32 = new Set(['float', 'fixed32', 'sfixed32']);
const LONG_SIGNED = new Set(['int64', 'sint64', 'sfixed64']);
const LONG_UNSIGNED = new Set(['uint64', 'fixed64']);

/** The wire plan of a reflected message type (and of every message type it holds). */
export function planOf(type: protobuf.Type, plans = new Map<protobuf.Type, MessagePlan>()): MessagePlan {
  const known = plans.get(type);
  if (known) return known;
  const plan: MessagePlan = {
    name: type.name,
    fields: new Map(),
    byName: new Map(),
    oneofs: type.oneofsArray.map((o) => o.fieldsArray.map((f) => f.name)),
  };
  plans.set(type, plan);
  for (const field of type.fieldsArray) {
    field.resolve();
    const resolved = field.resolvedType;
    const kind: Kind =
      resolved instanceof protobuf.Type
        ? 'message'
        : resolved instanceof protobuf.Enum
          ? 'varint'
          : I64.has(field.type)
            ? 'i64'
            : I32.has(field.type)
              ? 'i32'
              : field.type === 'string' || field.type === 'bytes'
                ? 'len'
                : 'varint';
    const fieldPlan: FieldPlan = {
      name: field.name,
      id: `${type.name}.${field.name}`,
      type: resolved ? resolved.name : field.type,
      kind,
      repeated: field.repeated,
      ...(LONG_SIGNED.has(field.type) ? { int64: 'signed' as const } : {}),
      ...(LONG_UNSIGNED.has(field.type) ? { int64: 'unsigned' as const } : {}),
      isEnum: resolved instanceof protobuf.Enum,
      ...(resolved instanceof protobuf.Type ? { message: planOf(resolved, plans) } : {}),
    };
    plan.fields.set(field.id, fieldPlan);
    plan.byName.set(field.name, fieldPlan);
  }
  return plan;
}

/** A field the schema does not know, found while walking the bytes. */
export interface UnknownField {
  /** Where the message holding it sits in the decoded object, e.g. ['graph', 'node', 3]. */
  path: (string | number)[];
  /** The message type holding it. */
  message: string;
  field: number;
  wireType: number;
}

const WIRE_NAMES = ['VARINT', 'I64', 'LEN', 'SGROUP', 'EGROUP', 'I32'];
const wireName = (w: number) => WIRE_NAMES[w] ?? String(w);
const EXPECTED: Record<Kind, number> = { varint: 0, i64: 1, len: 2, message: 2, i32: 5 };

/** `graph.node[3].attribute[0]` from path segments ('' for the model itself). */
export function pathText(path: readonly (string | number)[]): string {
  const shown =
    path.length > 24 ? [...path.slice(0, 8), '…', ...path.slice(-12)] : (path as (string | number)[]);
  return shown.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '');
}

export function describeUnknown(u: UnknownField): string {
  return `${pathText(u.path) || '(model)'}: ${u.message} field ${u.field} (${WIRE_NAMES[u.wireType]})`;
}

/** protobufjs' nesting limit (messages inside messages), which the walk enforces first. */
export const MAX_DEPTH = 100;
/** Unknown fields listed at most (a hostile file may hold millions). */
const MAX_UNKNOWN = 1000;

/**
 * Walks the tags of `bytes` against `plan` and checks they are a well-formed message of that type: every
 * tag's wire type is the one its field's type uses (or LEN for packed repeated numbers), every length
 * fits in 32 bits and inside its enclosing message, every varint ends within 10 bytes, no groups, nesting
 * within protobufjs' limit (the content of `shallow` fields excepted). Throws an OnnxProtoError (`ONNX_MALFORMED`) naming the byte and the field;
 * returns the fields the schema does not know (their values skipped).
 */
export function checkMessage(
  bytes: Uint8Array,
  plan: MessagePlan,
  what: string,
  /** Message fields (`GraphProto.node`) whose length is checked but whose content is not walked. */
  shallow: ReadonlySet<string> = new Set(),
): UnknownField[] {
  const unknown: UnknownField[] = [];
  const path: (string | number)[] = [];
  let pos = 0;

  const fail = (problem: string, offset: number): never => {
    throw new OnnxProtoError('ONNX_MALFORMED', `not an ${what}: ${problem}`, { offset });
  };
  const inside = (name?: string) => {
    const p = pathText(name === undefined ? path : [...path, name]);
    return p ? ` inside field ${p}` : '';
  };
  /** A varint's value (exact below 2^53, else at least 2^53); `end` bounds it. */
  const varint = (end: number, name?: string): number => {
    const start = pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end)
        fail(`truncated at byte ${pos}${inside(name)} (a varint starting at byte ${start})`, pos);
      const b = bytes[pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    return fail(`a varint longer than 10 bytes at byte ${start}${inside(name)}`, start);
  };
  const length = (end: number, name: string, at: number): number => {
    const n = varint(end, name);
    if (n >= 2 ** 32)
      fail(
        `field ${pathText([...path, name])} at byte ${at} claims a length of ${n < 2 ** 53 ? n : 'more than 2^53'} bytes (2^32 or more: a negative or corrupt length)`,
        at,
      );
    if (pos + n > end)
      fail(
        `truncated at byte ${end}${inside(name)}: the field at byte ${at} claims ${n} bytes, ${end - pos} remain${end < bytes.length ? ' in its enclosing message' : ''}`,
        at,
      );
    return n;
  };
  const fixed = (n: number, end: number, name: string, at: number) => {
    if (pos + n > end) fail(`truncated at byte ${end}${inside(name)} (a ${n}-byte value at byte ${at})`, at);
    pos += n;
  };

  const walk = (end: number, message: MessagePlan, depth: number): void => {
    let counts: Map<number, number> | undefined;
    while (pos < end) {
      const at = pos;
      const tag = varint(end);
      const no = Math.floor(tag / 8);
      const wireType = tag % 8;
      if (no === 0 || tag >= 2 ** 32) fail(`invalid field number ${no} at byte ${at}${inside()}`, at);
      if (wireType === 3 || wireType === 4 || wireType > 5)
        fail(
          `invalid wire type ${wireName(wireType)} in the tag of field ${no} at byte ${at}${inside()}`,
          at,
        );
      const field = message.fields.get(no);
      const name = field?.name ?? `<field ${no}>`;
      if (!field) {
        if (unknown.length < MAX_UNKNOWN)
          unknown.push({ path: [...path], message: message.name, field: no, wireType });
      } else if (
        wireType !== EXPECTED[field.kind] &&
        !(wireType === 2 && field.repeated && field.kind !== 'len')
      ) {
        fail(
          `field ${pathText([...path, name])} at byte ${at} has wire type ${wireName(wireType)}, but ${message.name}.${name} (${field.type}) is ${wireName(EXPECTED[field.kind])}`,
          at,
        );
      }
      if (wireType === 0) varint(end, name);
      else if (wireType === 1) fixed(8, end, name, at);
      else if (wireType === 5) fixed(4, end, name, at);
      else {
        const n = length(end, name, at);
        const stop = pos + n;
        if (field?.kind === 'message' && shallow.size && shallow.has(field.id)) {
          // skipped whole: its bytes are in bounds, its content is not decoded
        } else if (field?.kind === 'message') {
          path.push(name);
          if (field.repeated) {
            counts ??= new Map();
            const i = counts.get(no) ?? 0;
            counts.set(no, i + 1);
            path.push(i);
          }
          if (depth + 1 > MAX_DEPTH)
            fail(`messages nested more than ${MAX_DEPTH} deep at byte ${at}${inside()}`, at);
          walk(stop, field.message!, depth + 1);
          if (field.repeated) path.pop();
          path.pop();
        } else if (field && field.kind !== 'len') {
          // packed numbers: whole values only
          if (field.kind === 'varint') while (pos < stop) varint(stop, name);
          else if (n % (field.kind === 'i64' ? 8 : 4) !== 0)
            fail(
              `field ${pathText([...path, name])} at byte ${at}: ${n} bytes of packed ${field.type} values is not a whole number of them`,
              at,
            );
        }
        pos = stop;
      }
    }
  };
  walk(bytes.length, plan, 0);
  return unknown;
}
