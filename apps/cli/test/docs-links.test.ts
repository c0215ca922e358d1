/**
 * The repository's Markdown links lead somewhere: every relative link names a file that exists and, when it
 * names a heading (`#anchor`), a heading of that file. The root README sends readers to docs/ and the package
 * READMEs for the details; a section moved or renamed must not leave them at a dead link.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const SKIP_DIRS = new Set(['node_modules', 'dist', 'artifacts', '.git', '.turbo', '.changeset']);

function markdownFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) markdownFiles(join(dir, entry.name), out);
    } else if (entry.name.endsWith('.md') && entry.name !== 'CHANGELOG.md') out.push(join(dir, entry.name));
  }
  return out;
}

/** Markdown without its fenced code blocks (a `# comment` in a shell block is not a heading). */
const prose = (text: string) => text.replace(/^```[\s\S]*?^```/gm, '');

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2, ... */
function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of prose(readFileSync(file, 'utf8')).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n ? `${base}-${n}` : base);
  }
  return anchors;
}

describe('links between the repository documents', () => {
  const files = markdownFiles(ROOT);

  it('finds the documents', () => {
    expect(files.map((f) => relative(ROOT, f))).toEqual(
      expect.arrayContaining(['README.md', 'docs/reading-strings.md', 'packages/serve-onnx/README.md']),
    );
  });

  it('every relative link names a file that exists, and a heading of it when it names one', () => {
    const broken: string[] = [];
    const anchorCache = new Map<string, Set<string>>();
    for (const file of files) {
      for (const m of prose(readFileSync(file, 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:
        const [path, anchor] = link.split('#', 2) as [string, string | undefined];
        const target = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
        const where = `${relative(ROOT, file)}: ${link}`;
        if (!existsSync(target)) {
          broken.push(`${where} (no such file)`);
          continue;
        }
        if (!anchor || !target.endsWith('.md') || statSync(target).isDirectory()) continue;
        if (!anchorCache.has(target)) anchorCache.set(target, anchorsOf(target));
        if (!anchorCache.get(target)!.has(anchor)) broken.push(`${where} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
