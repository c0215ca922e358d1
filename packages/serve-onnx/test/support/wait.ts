import type { Page } from '@hcr/test-browser';

/**
 * Waits until `expression` (page-side JavaScript, as a string: this package's TypeScript has no DOM types) is
 * truthy, polling it with `page.evaluate`. Not `page.waitForFunction` with a string: that evaluates the string
 * with eval in the page, which the page's Content-Security-Policy (no 'unsafe-eval') refuses.
 */
export async function waitFor(
  page: Page,
  expression: string,
  { timeout = 30_000, interval = 50 }: { timeout?: number; interval?: number } = {},
): Promise<void> {
  const end = Date.now() + timeout;
  for (;;) {
    if (await page.evaluate(expression)) return;
    if (Date.now() > end) throw new Error(`waitFor: still false after ${timeout} ms: ${expression}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}
