import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_CSP, registerStatic } from '../src/server/plugins/static.js';
import type { HcrFastify } from '../src/server/types.js';

const WEB = fileURLToPath(new URL('../web/', import.meta.url));
const FILES = ['/', '/common.js', '/app.js', '/word.js', '/style.css'];

describe('the drawing page files over HTTP', () => {
  let app: HcrFastify;
  beforeAll(async () => {
    app = Fastify({ loggerInstance: pino({ level: 'silent' }) }) as unknown as HcrFastify;
    await registerStatic(app);
    await app.ready();
  });
  afterAll(() => app.close());

  it('sends every file with nosniff, a CSP of its own origin only, no framing, and an ETag', async () => {
    for (const url of FILES) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['content-security-policy'], url).toBe(PAGE_CSP);
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      expect(res.headers['cache-control'], url).toBe('no-cache');
      expect(res.headers.etag, url).toMatch(/^"[\w-]{27}"$/);
    }
    expect(PAGE_CSP).toContain("default-src 'self'");
    expect(PAGE_CSP).toContain("frame-ancestors 'none'");
    // No inline script or style is allowed, nor eval.
    expect(PAGE_CSP).not.toMatch(/unsafe-(inline|eval)/);
  });

  it('needs no inline script or style: the page loads its scripts and styles as files', async () => {
    const html = await readFile(`${WEB}index.html`, 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son\w+=/i);
    // Every script it names is served.
    for (const [, src] of html.matchAll(/<script src="([^"]+)"/g))
      expect((await app.inject(src!)).statusCode, src).toBe(200);
  });

  it('answers a reload with 304 and no body when the file is unchanged (If-None-Match)', async () => {
    for (const url of FILES) {
      const first = await app.inject(url);
      const etag = first.headers.etag as string;
      const again = await app.inject({ url, headers: { 'if-none-match': etag } });
      expect(again.statusCode, url).toBe(304);
      expect(again.body, url).toBe('');
      expect(again.headers.etag, url).toBe(etag);
      expect(again.headers['content-security-policy'], url).toBe(PAGE_CSP);
      // A list of tags, a weak one, or another file's tag.
      const listed = await app.inject({ url, headers: { 'if-none-match': `"x", W/${etag}` } });
      expect(listed.statusCode, url).toBe(304);
      const other = await app.inject({ url, headers: { 'if-none-match': '"not-this-one"' } });
      expect(other.statusCode, url).toBe(200);
      expect(other.body.length, url).toBeGreaterThan(0);
    }
    // Each file has its own tag.
    const tags = await Promise.all(FILES.map(async (u) => (await app.inject(u)).headers.etag));
    expect(new Set(tags).size).toBe(FILES.length);
  });
});
