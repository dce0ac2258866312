/**
 * Headless Chromium for browser tests, driven by playwright-core. The browser is Debian's
 * `chromium` package at a fixed path (playwright-core downloads no browser of its own), launched with
 * the flags DESIGN.md lists: no sandbox (CI runs as root in a container), no GPU, no QUIC, and no
 * background traffic of its own, so the only requests it makes are the test's.
 *
 * Where Chromium is not installed, browser tests are skipped with a note on stderr; in CI (`CI` set)
 * a missing Chromium is an error instead, so a broken install can never pass as a skipped suite.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where Debian's `chromium` package installs the browser; `CHROMIUM_PATH` points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

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

const MISSING = `Chromium not found at ${CHROMIUM_PATH} (Debian: apt-get install chromium)`;

/** True on CI (`CI` set to anything but empty, `0` or `false`), where the browser tests must run. */
function inCi(): boolean {
  const ci = process.env.CI ?? '';
  return ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/**
 * Launches headless Chromium, or returns null when it is not installed and this is not CI. Throws
 * when `CI` is set and Chromium is missing.
 */
export async function launchChromium(): Promise<Browser | null> {
  if (!existsSync(CHROMIUM_PATH)) {
    if (inCi()) throw new Error(`${MISSING}; CI must run the browser tests`);
    process.stderr.write(`  ${MISSING}: skipping the browser tests\n`);
    return null;
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
}
