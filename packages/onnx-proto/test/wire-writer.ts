/**
 * A protobuf writer for tests: builds ONNX bytes by hand, field numbers taken from the official onnx.proto
 * (ONNX 1.17), independently of src/schema.ts.
 */
export type Bytes = number[];

export function varint(value: number | bigint): Bytes {
  let n = BigInt.asUintN(64, BigInt(value));
  const out: Bytes = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

export const tag = (field: number, wireType: number): Bytes => varint(field * 8 + wireType);
/** A length-delimited field (message, string, bytes, packed values). */
export const len = (field: number, ...body: Bytes[]): Bytes => {
  const flat = body.flat();
  return [...tag(field, 2), ...varint(flat.length), ...flat];
};
export const str = (field: number, s: string): Bytes => len(field, [...new TextEncoder().encode(s)]);
export const int = (field: number, n: number | bigint): Bytes => [...tag(field, 0), ...varint(n)];
export const f32 = (field: number, x: number): Bytes => [
  ...tag(field, 5),
  ...new Uint8Array(new Float32Array([x]).buffer),
];
export const packedF32 = (field: number, xs: number[]): Bytes =>
  len(field, [...new Uint8Array(new Float32Array(xs).buffer)]);
export const packedF64 = (field: number, xs: number[]): Bytes =>
  len(field, [...new Uint8Array(new Float64Array(xs).buffer)]);
export const packedVarint = (field: number, xs: (number | bigint)[]): Bytes => len(field, ...xs.map(varint));
/** StringStringEntryProto {key = 1, value = 2}, as the field `field`. */
export const entry = (field: number, key: string, value: string): Bytes =>
  len(field, str(1, key), str(2, value));
export const bytes = (...parts: Bytes[]): Uint8Array => Uint8Array.from(parts.flat());

/** TypeProto { tensor_type = 1 { elem_type = 1, shape = 2 { dim = 1 {dim_value = 1 | dim_param = 2} } } }. */
export const tensorType = (field: number, elemType: number, dims: (number | string)[]): Bytes =>
  len(
    field,
    len(
      1,
      int(1, elemType),
      len(2, ...dims.map((d) => len(1, typeof d === 'number' ? int(1, d) : str(2, d)))),
    ),
  );
/** ValueInfoProto { name = 1, type = 2 } as the field `field` (GraphProto input = 11, output = 12). */
export const valueInfo = (field: number, name: string, elemType: number, dims: (number | string)[]): Bytes =>
  len(field, str(1, name), tensorType(2, elemType, dims));
