import { describe, expect, it } from 'vitest';
import { parsePageList } from '../src/decode/page-list.js';

describe('parsePageList', () => {
  it('reads all, single pages and ranges in the order named, each page once', () => {
    expect(parsePageList('all')).toEqual({ pages: 'all' });
    expect(parsePageList(' 3 ')).toEqual({ pages: [3] });
    expect(parsePageList('3, 1-2,2')).toEqual({ pages: [3, 1, 2] });
  });

  it('says what is wrong with a list it cannot follow', () => {
    expect(parsePageList('0')).toEqual({ problem: 'names page 0 (pages count from 1)' });
    expect(parsePageList('4-2')).toEqual({ problem: 'names the range 4-2, which runs backwards' });
    expect(parsePageList('1;2')).toEqual({ problem: 'is not a page number, "all" or a list of pages' });
    expect(parsePageList('1-5000')).toEqual({ problem: 'names more than 1000 pages' });
  });
});
