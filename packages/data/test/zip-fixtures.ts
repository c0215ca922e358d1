import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { HcrError } from '@hcr/core';
import { expect } from 'vitest';

/** A valid IDX file: images (rank 3, n x 28 x 28) or labels (rank 1). Pixels from a small LCG so gzip cannot shrink them to nothing. */
export function idx(kind: 'images' | 'labels', n: number, seed: number): Buffer {
  const header = Buffer.alloc(kind === 'images' ? 16 : 8);
  header.writeUInt32BE(kind === 'images' ? 0x803 : 0x801, 0);
  header.writeUInt32BE(n, 4);
  if (kind === 'images') {
    header.writeUInt32BE(28, 8);
    header.writeUInt32BE(28, 12);
  }
  const body = Buffer.alloc(kind === 'images' ? n * 784 : n);
  let s = seed;
  for (let i = 0; i < body.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    body[i] = kind === 'images' ? (s >>> 24) & 0xff : (s >>> 24) % 10;
  }
  return Buffer.concat([header, body]);
}

export const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
export const gz = (b: Buffer) => gzipSync(b, { level: 9 });

export interface ZipOptions {
  /** 0 stores every member; default: deflate `.gz` members (as NIST's zip does), store the rest. */
  method?: 0 | 8;
  /** Write a zip64 end of central directory record + locator and saturate the classic record's fields. */
  zip64?: boolean;
  comment?: string;
}

export interface ZipLayout {
  bytes: Buffer;
  /** Where each member's compressed data lies: [start, end). */
  data: Map<string, [number, number]>;
  /** Where the central directory starts. */
  centralDirectory: number;
}

/**
 * A minimal zip writer (PKWARE APPNOTE 4.3: local headers, central directory, end record, optionally the
 * zip64 end record and locator), so the reader is tested on both methods and both end-record forms.
 * Written here rather than using yazl: vitest runs Node with `--conditions import`, which makes yazl's
 * require('buffer-crc32') load the ESM build and fail.
 */
export function zipLayout(members: Record<string, Buffer>, opts: ZipOptions = {}): ZipLayout {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  const data = new Map<string, [number, number]>();
  let offset = 0;
  for (const [path, content] of Object.entries(members)) {
    const name = Buffer.from(path, 'utf8');
    const method = opts.method ?? (path.endsWith('.gz') ? 8 : 0);
    const packed = method === 8 ? deflateRawSync(content) : content;
    const crc = crc32(content);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // flags: UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(content.length, 22);
    local.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4); // version made by
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(packed.length, 20);
    cd.writeUInt32LE(content.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    central.push(cd, name);
    const start = offset + local.length + name.length;
    data.set(path, [start, start + packed.length]);
    offset = start + packed.length;
  }
  const cdBytes = Buffer.concat(central);
  const count = Object.keys(members).length;
  const tail: Buffer[] = [];
  if (opts.zip64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4); // size of the rest of the record
    rec.writeUInt16LE(45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeBigUInt64LE(BigInt(count), 24);
    rec.writeBigUInt64LE(BigInt(count), 32);
    rec.writeBigUInt64LE(BigInt(cdBytes.length), 40);
    rec.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(offset + cdBytes.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(rec, loc);
  }
  const comment = Buffer.from(opts.comment ?? '', 'utf8');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(opts.zip64 ? 0xffff : count, 8);
  end.writeUInt16LE(opts.zip64 ? 0xffff : count, 10);
  end.writeUInt32LE(opts.zip64 ? 0xffffffff : cdBytes.length, 12);
  end.writeUInt32LE(opts.zip64 ? 0xffffffff : offset, 16);
  end.writeUInt16LE(comment.length, 20);
  return {
    bytes: Buffer.concat([...locals, cdBytes, ...tail, end, comment]),
    data,
    centralDirectory: offset,
  };
}

export const zipOf = (members: Record<string, Buffer>, opts?: ZipOptions) => zipLayout(members, opts).bytes;

// ---- a loopback file server with real Range support ---------------------------------------------------

export interface Served {
  method: string;
  path: string;
  /** The Range header as sent, if any. */
  range?: string;
  status: number;
  /** Body bytes this server wrote for the request. */
  bytes: number;
}

export interface RangeServer {
  base: string;
  routes: Map<string, Buffer>;
  log: Served[];
  /** Paths answered without Range support: always 200 with the whole body and `Accept-Ranges: none`. */
  noRange: Set<string>;
  /** The next request for a path whose range starts at this offset is cut after this many body bytes. */
  cutAt: Map<string, { from: number; after: number }>;
  /** Body bytes served for a path (all requests). */
  bytesServed(path: string): number;
  close(): Promise<void>;
}

/** Parses a single-range header against a size: `a-b`, `a-`, `-n`. Undefined for anything else. */
function parseRange(header: string | undefined, size: number): [number, number] | undefined {
  const m = header?.match(/^bytes=(\d*)-(\d*)$/);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') return [Math.max(0, size - Number(m[2])), size - 1];
  return [Number(m[1]), m[2] === '' ? size - 1 : Math.min(size - 1, Number(m[2]))];
}

export async function startRangeServer(): Promise<RangeServer> {
  const routes = new Map<string, Buffer>();
  const log: Served[] = [];
  const noRange = new Set<string>();
  const cutAt = new Map<string, { from: number; after: number }>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const entry: Served = {
      method: req.method ?? 'GET',
      path,
      range: req.headers.range,
      status: 0,
      bytes: 0,
    };
    log.push(entry);
    const body = routes.get(path);
    if (!body) {
      entry.status = 404;
      res.writeHead(404, 'Not Found').end();
      return;
    }
    const etag = `"${sha(body).slice(0, 16)}"`;
    if (req.method === 'HEAD') {
      entry.status = 200;
      res.writeHead(200, {
        'content-length': body.length,
        etag,
        'accept-ranges': noRange.has(path) ? 'none' : 'bytes',
      });
      res.end();
      return;
    }
    const ifRangeOk = !req.headers['if-range'] || req.headers['if-range'] === etag;
    const range = noRange.has(path) || !ifRangeOk ? undefined : parseRange(req.headers.range, body.length);
    if (range && range[0] >= body.length) {
      entry.status = 416;
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    const [start, last] = range ?? [0, body.length - 1];
    const slice = body.subarray(start, last + 1);
    entry.status = range ? 206 : 200;
    res.writeHead(entry.status, {
      'content-length': slice.length,
      etag,
      'accept-ranges': noRange.has(path) ? 'none' : 'bytes',
      ...(range ? { 'content-range': `bytes ${start}-${last}/${body.length}` } : {}),
    });
    const cut = cutAt.get(path);
    if (cut && cut.from === start) {
      cutAt.delete(path);
      entry.bytes = Math.min(cut.after, slice.length);
      // Flush some bytes, give the client a moment to store them, then drop the connection mid-body.
      res.write(slice.subarray(0, cut.after), () => setTimeout(() => req.socket.destroy(), 50));
      return;
    }
    // Count what actually left (a client that stops reading early is not charged the rest).
    let sent = 0;
    const chunk = 16 * 1024;
    const pump = () => {
      while (sent < slice.length) {
        const next = slice.subarray(sent, sent + chunk);
        sent += next.length;
        entry.bytes = sent;
        if (!res.write(next)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.once('close', () => {
      entry.bytes = Math.min(entry.bytes, sent);
    });
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    routes,
    log,
    noRange,
    cutAt,
    bytesServed: (path) => log.filter((l) => l.path === path).reduce((n, l) => n + l.bytes, 0),
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** The HcrError a download is expected to fail with (the test fails if it resolves or throws anything else). */
export async function caught(p: Promise<unknown>): Promise<HcrError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HcrError);
  return e as HcrError;
}
