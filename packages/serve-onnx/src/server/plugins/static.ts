import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { HcrFastify } from '../types.js';

const WEB_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));
const WEB_FILES: Record<string, string> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/word.js': 'word.js',
  '/style.css': 'style.css',
};
const MIME: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** The drawing page: a handful of files read once at start and served from memory. */
export async function registerStatic(app: HcrFastify): Promise<void> {
  const files = await Promise.all(
    Object.entries(WEB_FILES).map(async ([route, file]) => ({
      route,
      file,
      body: await readFile(WEB_DIR + file),
    })),
  );
  for (const { route, file, body } of files) {
    const type = MIME[file.split('.').pop()!]!;
    app.get(route, { schema: { hide: true } }, async (_req, reply) =>
      reply.type(type).header('cache-control', 'no-cache').send(body),
    );
  }
}
