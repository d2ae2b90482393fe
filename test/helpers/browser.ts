/**
 * The browser of the UI tests: Debian's chromium driven by playwright-core, headless, and axe-core injected
 * into a page. Developers without chromium see the tests skipped with the reason; CI (CI=true) fails instead:
 * .ci/run installs it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined. Throws in CI: there a missing browser is a failure. */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `${CHROMIUM} is missing (apt-get install chromium)`;
  if (process.env['CI'] === 'true') throw new Error(`CI: ${reason}; .ci/run should have installed it`);
  return reason;
}

export function launch(): Promise<Browser> {
  // --no-sandbox: the tests run as root (CI, the isolated wrapper), where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's WCAG 2 A/AA checks on the page as it is; returns the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, which the page's CSP (script-src 'self') does not govern.
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const g = globalThis as unknown as {
      axe: { run: (c: unknown, o: unknown) => Promise<{ violations: AxeViolation[] }> };
      document: unknown;
    };
    const result = await g.axe.run(g.document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } });
    return result.violations;
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
