import { describe, expect, it } from 'vitest';
import { renderLinesHtml } from '../src/lines/html.js';
import { handLinesReport } from './hand-lines-report.js';

describe('an error example whose read is empty', () => {
  it('says "(nothing read)" in the cell, not an empty cell that looks like a rendering fault', async () => {
    const html = await renderLinesHtml(
      handLinesReport('names-x', {
        id: 'name-0007.png',
        truth: 'LEA',
        width: 60,
        reads: [
          { constraint: 'letters', text: '', confidence: 0.211, edits: 3 },
          { constraint: 'none', text: 'LFA', confidence: 0.5, edits: 1 },
        ],
      }),
      {},
      [],
    );
    const row = html.slice(html.indexOf('<tr class="example">'));
    expect(row).toContain(
      '<td class="t bad"><span class="nothing-read">(nothing read)</span></td><td>0.211</td>',
    );
    expect(row).toContain('<td class="t bad">LFA</td><td>0.500</td>');
  });
});
