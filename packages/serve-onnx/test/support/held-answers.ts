import type { Page } from '@hcr/test-browser';

/**
 * Holds the server's answers to requests matching `url` until `release()` (a slow server): to act on the page
 * while a request is in flight. `restore()` releases them and removes the hold.
 */
export async function holdAnswers(
  page: Page,
  url: string,
): Promise<{ release(): void; restore(): Promise<void> }> {
  let release!: () => void;
  const held = new Promise<void>((r) => {
    release = r;
  });
  await page.route(url, async (route) => {
    const res = await route.fetch();
    await held;
    await route.fulfill({ response: res }).catch(() => {});
  });
  return {
    release,
    async restore() {
      release();
      await page.unroute(url);
    },
  };
}
