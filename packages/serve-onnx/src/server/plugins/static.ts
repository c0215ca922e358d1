import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { HcrFastify } from '../types.js';

const WEB_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));
const WEB_FILES: Record<string, string> = {
  '/': 'index.html',
  '/common.js': 'common.js',
  '/app.js': 'app.js',
  '/word.js': 'word.js',
  '/style.css': 'style.css',
};
const MIME: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/**
 * What the page may load and do: its own scripts, styles and requests only (no inline script or style
 * element); images also from data: (the empty favicon) and blob: (an uploaded photo's preview); no plugins,
 * no <base>, no form posts, and no framing by another site (clickjacking), as X-Frame-Options says for older
 * browsers.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "img-src 'self' data: blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The headers every page file is sent with. */
const SECURITY_HEADERS = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/**
 * The drawing page: a handful of files read once at start and served from memory. Each has an ETag (a hash of
 * its bytes), so a reload asks again (no-cache) and gets a 304 with no body when nothing changed.
 */
export async function registerStatic(app: HcrFastify): Promise<void> {
  const files = await Promise.all(
    Object.entries(WEB_FILES).map(async ([route, file]) => {
      const body = await readFile(WEB_DIR + file);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      return { route, file, body, etag };
    }),
  );
  for (const { route, file, body, etag } of files) {
    const type = MIME[file.split('.').pop()!]!;
    app.get(route, { schema: { hide: true } }, async (req, reply) => {
      reply.headers({ ...SECURITY_HEADERS, 'cache-control': 'no-cache', etag }).type(type);
      if (matches(req.headers['if-none-match'], etag)) return reply.code(304).send();
      return reply.send(body);
    });
  }
}

/** Whether an If-None-Match header names `etag` (or is `*`); weak validators compare equal (RFC 9110 13.1.2). */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag);
}
