import { distance } from 'fastest-levenshtein';
import { OnnxProtoError } from './errors.js';
import { int64Problem } from './int64.js';
import { type FieldPlan, MAX_DEPTH, type MessagePlan, pathText } from './wire.js';

/** Where decodeModel notes the fields it skipped (see proto.ts), read here to refuse losing them. */
export const UNKNOWN_FIELDS: unique symbol = Symbol.for('@hcr/onnx-proto.unknownFields') as never;

/** int32 fields holding a `DataType`, named in the error for a string given there. */
const DATA_TYPE_FIELDS = new Set(['data_type', 'elem_type', 'key_type']);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'string')
    return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v === 'bigint' ? `${v}n` : String(v)} (${typeof v})`;
}

/** The field of `plan` a mistyped key probably meant: camelCase, a plural, a typo. */
function suggestion(key: string, plan: MessagePlan): string | undefined {
  const names = [...plan.byName.keys()];
  const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  for (const candidate of [snake, snake.replace(/s$/, ''), `${snake}s`])
    if (plan.byName.has(candidate)) return candidate;
  const best = names.map((n) => [n, distance(snake, n)] as const).sort((a, b) => a[1] - b[1])[0];
  return best && best[1] <= 2 ? best[0] : undefined;
}

/**
 * Checks a ModelProto object before protobufjs writes it, which would otherwise drop what it does not
 * know and coerce what it does: every key is a field of its message (a typo such as `initializers` was
 * dropped in silence), repeated fields are arrays, messages are objects, strings are strings, bytes are
 * Uint8Array (a Float32Array was written as one byte per float), int32 and enum fields are integer numbers
 * (`data_type: 'FLOAT'` was written as 0), int64 fields safe integers or bigints, at most one field of a
 * oneof. Collects the unknown-field notes of decoded messages. Throws OnnxProtoError `ONNX_INVALID_MODEL`
 * naming the field.
 */
export function checkModelObject(model: unknown, plan: MessagePlan, unknown: string[]): void {
  const path: (string | number)[] = [];
  const fail = (problem: string): never => {
    throw new OnnxProtoError('ONNX_INVALID_MODEL', `encodeModel: ${problem}.`);
  };
  const here = (name: string, i?: number) => pathText(i === undefined ? [...path, name] : [...path, name, i]);
  let depth = 0; // messages open, bounded as decodeModel bounds them: an object that holds itself ends here

  const value = (v: unknown, field: FieldPlan, i?: number): void => {
    const where = here(field.name, i);
    if (field.message) {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v))
        fail(`${where} must be a ${field.type} object, not ${describe(v)}`);
      if (++depth > MAX_DEPTH)
        fail(
          `${where.length > 200 ? `${where.slice(0, 200)}...` : where} nests messages more than ${MAX_DEPTH} deep (a graph attribute holding its own graph?)`,
        );
      path.push(field.name);
      if (i !== undefined) path.push(i);
      message(v as Record<string, unknown>, field.message);
      if (i !== undefined) path.pop();
      path.pop();
      depth--;
    } else if (field.int64) {
      const problem = int64Problem(v, field.int64);
      if (problem) fail(`${where} is ${problem}`);
    } else if (field.type === 'string') {
      if (typeof v !== 'string') fail(`${where} must be a string, not ${describe(v)}`);
    } else if (field.type === 'bytes') {
      if (!(v instanceof Uint8Array))
        fail(
          `${where} must be a Uint8Array of bytes, not ${describe(v)}${ArrayBuffer.isView(v) ? ' (its bytes: new Uint8Array(x.buffer, x.byteOffset, x.byteLength))' : ''}`,
        );
    } else if (field.type === 'float' || field.type === 'double') {
      if (typeof v !== 'number') fail(`${where} must be a number, not ${describe(v)}`);
    } else if (!(typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)) {
      // int32 and enums
      const values = field.isEnum
        ? `an ${field.type} value`
        : DATA_TYPE_FIELDS.has(field.name)
          ? 'a DataType value, e.g. DataType.FLOAT = 1'
          : 'an int32';
      fail(`${where} must be a number (${values}), not ${describe(v)}`);
    }
  };

  const message = (m: Record<string, unknown>, p: MessagePlan): void => {
    const notes = m[UNKNOWN_FIELDS as unknown as string] as string[] | undefined;
    if (notes) unknown.push(...notes);
    for (const key of Object.keys(m)) {
      const v = m[key];
      if (v === undefined || v === null) continue;
      const field = p.byName.get(key);
      if (!field) {
        const hint = suggestion(key, p);
        fail(`${here(key)}: ${p.name} has no field "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
      }
      if (field!.repeated) {
        if (!Array.isArray(v))
          fail(`${here(key)} is a repeated field: it must be an array, not ${describe(v)}`);
        const list = v as unknown[];
        for (let i = 0; i < list.length; i++) value(list[i], field!, i);
      } else value(v, field!);
    }
    for (const oneof of p.oneofs) {
      const set = oneof.filter((name) => m[name] !== undefined && m[name] !== null);
      if (set.length > 1)
        fail(`${pathText(path) || 'the model'} sets ${set.join(' and ')}: one of them only`);
    }
  };

  if (typeof model !== 'object' || model === null || Array.isArray(model))
    fail(`the model must be a ModelProto object, not ${describe(model)}`);
  message(model as Record<string, unknown>, plan);
}
