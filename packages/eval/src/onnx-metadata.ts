/**
 * Reads `metadata_props` (ModelProto field 14, StringStringEntryProto key=1 value=2) from ONNX bytes.
 * onnxruntime-node does not expose them, and eval needs `hcr.model_id` to refuse an ONNX file that was
 * exported from a different (older) model than the one being evaluated.
 * A minimal protobuf walk: top-level fields are skipped by wire type without decoding the graph.
 */
export function readOnnxMetadataProps(bytes: Uint8Array): Record<string, string> {
  const props: Record<string, string> = {};
  const top = new Reader(bytes);
  while (!top.done()) {
    const { field, wire } = top.tag();
    if (field === 14 && wire === 2) {
      const entry = new Reader(top.bytes());
      let key = '';
      let value = '';
      while (!entry.done()) {
        const t = entry.tag();
        if (t.wire === 2 && (t.field === 1 || t.field === 2)) {
          const s = new TextDecoder().decode(entry.bytes());
          if (t.field === 1) key = s;
          else value = s;
        } else entry.skip(t.wire);
      }
      props[key] = value;
    } else top.skip(wire);
  }
  return props;
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.buf.length) throw new RangeError('truncated protobuf varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
  }

  tag(): { field: number; wire: number } {
    const t = this.varint();
    return { field: Math.floor(t / 8), wire: t % 8 };
  }

  bytes(): Uint8Array {
    const len = this.varint();
    if (this.pos + len > this.buf.length) throw new RangeError('truncated protobuf field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new RangeError(`unsupported protobuf wire type ${wire}`);
  }
}
