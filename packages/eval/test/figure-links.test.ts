import { describe, expect, it } from 'vitest';
import { figure } from '../src/html.js';

describe("a picture's link to its file", () => {
  it('encodes the file name as one URI segment: a # or ? in a source folder name does not cut the link', () => {
    const html = figure('lines-scans #2?a&b.png', Buffer.from('png'), 'scans');
    expect(html).toContain('<a href="lines-scans%20%232%3Fa%26b.png">lines-scans #2?a&amp;b.png</a>');
    // a plain name is left as it is
    expect(figure('lines-handwritten-names-dev.png', Buffer.from('png'), 'x')).toContain(
      '<a href="lines-handwritten-names-dev.png">',
    );
  });
});
