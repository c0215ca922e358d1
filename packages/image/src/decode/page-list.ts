/** Pages as people name them in a print dialog: `all`, or a list of pages and ranges such as `1-3,5`. */
export type PageList = 'all' | readonly number[];

/** Pages a list may name: a bound on the work of expanding it (`1-999999999`). */
export const MAX_LISTED_PAGES = 1000;

/** The form of a page list (a page number, `all`, or pages and ranges), as a JSON-schema `pattern`. */
export const PAGE_LIST_PATTERN =
  '^\\s*(all|[0-9]+(\\s*-\\s*[0-9]+)?(\\s*,\\s*[0-9]+(\\s*-\\s*[0-9]+)?)*)\\s*$';
const PAGE_LIST = new RegExp(PAGE_LIST_PATTERN);

/**
 * `all`, or the pages a list names in the order named (a page named twice read once); otherwise what is wrong
 * with it, to follow the list as written ("names page 0 (pages count from 1)").
 */
export function parsePageList(text: string): { pages: PageList } | { problem: string } {
  if (!PAGE_LIST.test(text)) return { problem: 'is not a page number, "all" or a list of pages' };
  if (text.trim() === 'all') return { pages: 'all' };
  const pages: number[] = [];
  for (const part of text.split(',')) {
    const ends = part.split('-').map((s) => Number(s.trim()));
    const from = ends[0]!;
    const to = ends[1] ?? from;
    if (from < 1) return { problem: 'names page 0 (pages count from 1)' };
    if (to < from) return { problem: `names the range ${part.trim()}, which runs backwards` };
    if (pages.length + to - from + 1 > MAX_LISTED_PAGES)
      return { problem: `names more than ${MAX_LISTED_PAGES} pages` };
    for (let p = from; p <= to; p++) if (!pages.includes(p)) pages.push(p);
  }
  return { pages };
}
