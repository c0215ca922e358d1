import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export type { Browser, Page } from 'playwright-core';

/**
 * The Chromium the browser tests drive: HCR_CHROMIUM, else Debian's /usr/bin/chromium (`apt-get install -y
 * chromium`; .ci/run installs it). playwright-core downloads no browser of its own.
 */
export const CHROMIUM = process.env.HCR_CHROMIUM ?? '/usr/bin/chromium';

/** Headless, no sandbox (containers run as root), and nothing that reaches the network by itself. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Whether browser tests should be skipped here: Chromium is missing and this is no CI run (in CI a missing
 * Chromium fails the tests instead, through `launchChromium`'s error).
 */
export function skipWithoutChromium(): boolean {
  return !existsSync(CHROMIUM) && !process.env.CI;
}

/** Launches headless Chromium; a missing browser is an error that says how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\`, or point HCR_CHROMIUM at a Chromium binary.`,
    );
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
}
