import { HcrError } from '@hcr/core';

/**
 * `page` of POST /v1/predict and /v1/read: which pages of a PDF or TIFF of several to read. One page (a number;
 * absent, the image's only page) answers as before; `all` or a list (`1-3,5`) reads each page named of each image,
 * and every answer says its `page`.
 */
export type PageChoice =
  | { several: false; page?: number }
  | { several: true; pages: 'all' | readonly number[] };

export const PAGE_HINT =
  'Use page=1 for the first page of a PDF or TIFF, page=2 for the second, ..., page=all for every page, or a list such as page=1-3,5.';

/** Pages a list may name, before the request's image limit applies: a bound on the work of parsing it. */
const MAX_LISTED_PAGES = 1000;

/** The schema's form of a `page` value: a page number, `all`, or a list of pages and ranges. */
export const PAGE_PATTERN = '^\\s*(all|[0-9]+(\\s*-\\s*[0-9]+)?(\\s*,\\s*[0-9]+(\\s*-\\s*[0-9]+)?)*)\\s*$';

function badPage(v: unknown, why: string): HcrError {
  return new HcrError('BAD_PAGE', `page=${typeof v === 'string' ? v : JSON.stringify(v)} ${why}.`, {
    hint: PAGE_HINT,
  });
}

/** `page` from a query string, form field or JSON body (a number or a string), or BAD_PAGE naming what is wrong. */
export function parsePages(v: unknown): PageChoice {
  if (v === undefined || v === null || v === '') return { several: false };
  if (typeof v === 'number' || (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v))) {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw badPage(v, 'is not a page number (pages count from 1)');
    return { several: false, page: n };
  }
  if (typeof v !== 'string') throw badPage(v, 'is not a page number, "all" or a list of pages');
  if (v.trim() === 'all') return { several: true, pages: 'all' };
  if (!new RegExp(PAGE_PATTERN).test(v)) throw badPage(v, 'is not a page number, "all" or a list of pages');
  const pages: number[] = [];
  for (const part of v.split(',')) {
    const ends = part.split('-').map((s) => Number(s.trim()));
    const from = ends[0]!;
    const to = ends[1] ?? from;
    if (from < 1) throw badPage(v, 'names page 0 (pages count from 1)');
    if (to < from) throw badPage(v, `names the range ${part.trim()}, which runs backwards`);
    if (pages.length + to - from + 1 > MAX_LISTED_PAGES)
      throw badPage(v, `names more than ${MAX_LISTED_PAGES} pages`);
    for (let p = from; p <= to; p++) if (!pages.includes(p)) pages.push(p);
  }
  return { several: true, pages };
}

/** One thing to read: an input of the request, which of them it is, and the page of it (when one was named). */
export interface PageOf<T> {
  input: T;
  index: number;
  page?: number;
}

/**
 * The inputs of a request, each with the page to read of it: one per input for one page; with several, one per
 * page named of each (`all`: each page it has, counted by `pages`: a PDF's or TIFF's count, 1 for other images),
 * at most `maxImages` in all (TOO_MANY_IMAGES naming the pages otherwise).
 */
export async function pagesToRead<T>(
  inputs: readonly T[],
  choice: PageChoice,
  maxImages: number,
  pages: (input: T) => Promise<number> | number,
): Promise<PageOf<T>[]> {
  if (!choice.several) return inputs.map((input, index) => ({ input, index, page: choice.page }));
  const out: PageOf<T>[] = [];
  for (const [index, input] of inputs.entries()) {
    const count = async () => {
      try {
        return await pages(input);
      } catch (e) {
        // Bytes that are no image, named by which of several they are.
        if (!(e instanceof HcrError) || inputs.length === 1) throw e;
        throw new HcrError(e.code, `images[${index}]: ${e.problem}`, { hint: e.hint });
      }
    };
    const named =
      choice.pages === 'all' ? Array.from({ length: await count() }, (_, i) => i + 1) : choice.pages;
    for (const page of named) out.push({ input, index, page });
  }
  if (out.length > maxImages)
    throw new HcrError(
      'TOO_MANY_IMAGES',
      `${out.length} pages to read in one request; the limit is ${maxImages} images or pages.`,
      { hint: `Name fewer pages (e.g. page=1-${maxImages}), and the rest in another request.` },
    );
  return out;
}

/** What each answer adds when several pages or images were read: its page, and which image it came from. */
export function pagePlacement<T>(item: PageOf<T>, choice: PageChoice, images: number): object {
  if (!choice.several) return {};
  return { ...(images > 1 ? { image: item.index } : {}), page: item.page };
}
