import protobuf from 'protobufjs';

/** How a field's values are laid out on the wire. */
type Kind = 'varint' | 'i64' | 'i32' | 'len' | 'message';

interface FieldPlan {
  name: string;
  kind: Kind;
  repeated: boolean;
  message?: MessagePlan;
}

/** A message type as the wire walk needs it: its fields by number. */
export interface MessagePlan {
  name: string;
  fields: Map<number, FieldPlan>;
}

const I64 = new Set(['double', 'fixed64', 'sfixed64']);
const I32 = new Set(['float', 'fixed32', 'sfixed32']);

/** The wire plan of a reflected message type (and of every message type it holds). */
export function planOf(type: protobuf.Type, plans = new Map<protobuf.Type, MessagePlan>()): MessagePlan {
  const known = plans.get(type);
  if (known) return known;
  const plan: MessagePlan = { name: type.name, fields: new Map() };
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
    plan.fields.set(field.id, {
      name: field.name,
      kind,
      repeated: field.repeated,
      ...(resolved instanceof protobuf.Type ? { message: planOf(resolved, plans) } : {}),
    });
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

export function describeUnknown(u: UnknownField): string {
  const where = u.path.reduce<string>(
    (s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p),
    '',
  );
  return `${where || '(model)'}: ${u.message} field ${u.field} (${WIRE_NAMES[u.wireType] ?? `wire type ${u.wireType}`})`;
}

/** protobufjs' nesting limit (messages inside messages). */
const MAX_DEPTH = 100;

/** Thrown inside the walk when the bytes do not follow the protobuf wire format. */
class Malformed extends Error {}

/**
 * Walks the tags of `bytes` against `plan` and returns the fields the schema does not know (their values are
 * skipped). Stops quietly on bytes that are not well-formed protobuf: decoding reports those.
 */
export function findUnknownFields(bytes: Uint8Array, plan: MessagePlan): UnknownField[] {
  const unknown: UnknownField[] = [];
  let pos = 0;
  const varint = (end: number): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw new Malformed();
      const b = bytes[pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    throw new Malformed();
  };
  const skip = (wireType: number, end: number): void => {
    if (wireType === 0) varint(end);
    else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else if (wireType === 2) {
      const n = varint(end); // before `pos +=`, which would read pos first
      pos += n;
    } else throw new Malformed();
    if (pos > end) throw new Malformed();
  };
  const walk = (end: number, message: MessagePlan, path: (string | number)[], depth: number): void => {
    if (depth > MAX_DEPTH) throw new Malformed();
    const counts = new Map<number, number>();
    while (pos < end) {
      const tag = varint(end);
      const no = Math.floor(tag / 8);
      const wireType = tag % 8;
      const field = message.fields.get(no);
      if (!field) {
        unknown.push({ path, message: message.name, field: no, wireType });
        skip(wireType, end);
      } else if (field.kind === 'message' && wireType === 2) {
        const len = varint(end);
        const stop = pos + len;
        if (stop > end) throw new Malformed();
        let at: (string | number)[] = [...path, field.name];
        if (field.repeated) {
          const i = counts.get(no) ?? 0;
          counts.set(no, i + 1);
          at = [...at, i];
        }
        walk(stop, field.message!, at, depth + 1);
        pos = stop;
      } else skip(wireType, end);
    }
  };
  try {
    walk(bytes.length, plan, [], 0);
  } catch (e) {
    if (!(e instanceof Malformed)) throw e;
  }
  return unknown;
}
