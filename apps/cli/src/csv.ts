/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, with quotes doubled, so
 * file names such as `a,"b".png` survive a spreadsheet or `csv.reader`.
 */
export function csvField(value: string | number | undefined): string {
  const s = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One CSV record, newline-terminated. */
export function csvRow(values: readonly (string | number | undefined)[]): string {
  return `${values.map(csvField).join(',')}\n`;
}
