// Launches Debian's chromium through playwright-core: headless, no
// network beyond what the page asks of 127.0.0.1, a fresh profile dir.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export async function launch() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libprof-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.LIBPROF_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return {
    ctx,
    close: async () => {
      await ctx.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Collects what would mean the viewer failed: dialogs (speedscope alerts
// on import errors), uncaught page errors, and console errors.
export function watchErrors(page) {
  const errors = [];
  page.on('dialog', async (d) => {
    errors.push(`dialog: ${d.message()}`);
    await d.dismiss();
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console error: ${m.text()}`);
  });
  return errors;
}
