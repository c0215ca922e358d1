/**
 * Many small byte arrays in one buffer, so a message between threads moves one buffer instead of one per
 * image (each moved or copied buffer costs its own allocation on both sides). The receiver gets views.
 */

/** Where one array lies in a packed buffer. */
export interface PackedRef {
  at: number;
  length: number;
  type: 'u8' | 'f32';
}

export class Packer {
  private buf: Uint8Array;
  private size = 0;

  constructor(capacity = 4096) {
    this.buf = new Uint8Array(capacity);
  }

  get empty(): boolean {
    return this.size === 0;
  }

  /** Copies `a` in (now: the caller may reuse its array at once). Float32 data lands 4-byte aligned. */
  add(a: Uint8Array | Float32Array): PackedRef {
    const f32 = a instanceof Float32Array;
    const at = f32 ? (this.size + 3) & ~3 : this.size;
    const end = at + a.byteLength;
    if (end > this.buf.length) {
      const grown = new Uint8Array(Math.max(end, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.size));
      this.buf = grown;
    }
    this.buf.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    this.size = end;
    return { at, length: a.length, type: f32 ? 'f32' : 'u8' };
  }

  /** A buffer of exactly the packed bytes (to move to another thread); the packer starts over. */
  take(): ArrayBuffer {
    const out = this.buf.slice(0, this.size).buffer as ArrayBuffer;
    this.size = 0;
    return out;
  }
}

export function unpack(buffer: ArrayBuffer, ref: PackedRef): Uint8Array | Float32Array {
  return ref.type === 'f32'
    ? new Float32Array(buffer, ref.at, ref.length)
    : new Uint8Array(buffer, ref.at, ref.length);
}
