import { HcrError } from '@hcr/core';
import { parsePageList } from '@hcr/image/decode';

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
  const list = parsePageList(v);
  if ('problem' in list) throw badPage(v, list.problem);
  return { several: true, pages: list.pages };
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
        throw e.naming(`images[${index}]`);
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
