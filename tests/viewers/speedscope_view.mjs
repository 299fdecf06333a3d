// Opens a profile in the real speedscope (npm release build, served on
// 127.0.0.1) in Debian's chromium, through #profileURL=:
//   node speedscope_view.mjs FILE OUTDIR --hover NAME [--title TEXT]
//        [--self NAME=TIME]...
// Fails on any alert dialog (speedscope's import error), page error or
// console error. speedscope draws the flame chart on a canvas, so the
// chart is read the way a user reads it: hovering over it until the
// tooltip shows NAME. The sandwich view is a DOM table: --self checks a
// function's self time text there, e.g. square=50.00ms. Screenshots of
// both views go to OUTDIR.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from './serve.mjs';
import { launch, watchErrors } from './browser.mjs';
import * as lib from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const release = path.join(here, '..', 'node_modules', 'speedscope', 'dist', 'release');
const [file, outdir, ...rest] = process.argv.slice(2);
const opt = { hover: null, title: null, self: [] };
for (let i = 0; i < rest.length; i += 2) {
  if (rest[i] === '--self') opt.self.push(rest[i + 1].split('='));
  else opt[rest[i].slice(2)] = rest[i + 1];
}

let passed = 0, failed = 0;
const check = (ok, msg) => (ok ? passed++ : (lib.fail(msg), failed++));
const bodyText = (page) => page.evaluate(() => document.body.innerText);

// Sweeps the flame chart with the mouse, row by row (frames are 20 px
// rows below the 140 px of toolbar and minimap); returns the first
// tooltip text naming `name`, or null. A row without any frame ends the
// sweep: nothing is drawn deeper.
async function hoverFind(page, name) {
  const re = new RegExp(`(^|\\s)${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`);
  for (let y = 153; y < 790; y += 20) {
    let any = false;
    for (let x = 6; x < 1280; x += 96) {
      await page.mouse.move(x, y);
      const tip = (await bodyText(page)).split('\n').slice(3).join('\n');
      if (re.test(tip)) return tip;
      any ||= tip.trim() !== '';
    }
    if (!any) break;
  }
  return null;
}

// The sandwich table as {name: {total, self}}.
function parseSandwich(text) {
  const rows = {};
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const start = lines.findIndex((l) => /Symbol Name/.test(l));
  for (let i = start + 1; i + 2 < lines.length + 0; i += 3)
    rows[lines[i + 2]] = { total: lines[i], self: lines[i + 1] };
  return rows;
}

const srv = await serve({ '/': release + '/', '/profile.json': file });
const browser = await launch();
try {
  const page = await browser.ctx.newPage();
  const errors = watchErrors(page);
  const url = `${srv.url}/profile.json`;
  await page.goto(`${srv.url}/index.html#profileURL=${encodeURIComponent(url)}`);
  // Loaded: the view tabs and the profile's name are shown (speedscope's
  // welcome page has neither).
  let loaded = false;
  for (let t = 0; t < 75 && !loaded && errors.length === 0; t++) {
    loaded = /Sandwich/.test(await bodyText(page));
    if (!loaded) await page.waitForTimeout(200);
  }
  await page.waitForTimeout(500);
  check(loaded && errors.length === 0,
    `speedscope did not show the profile: ${errors.join('; ') || 'timeout'}`);
  if (!loaded || errors.length) throw new Error('not loaded');
  const text = await bodyText(page);
  if (opt.title) check(text.includes(opt.title), `title "${opt.title}" not shown`);
  const tip = opt.hover ? await hoverFind(page, opt.hover) : '';
  check(tip !== null, `no flame chart frame named ${opt.hover}`);
  console.log(`hover: ${JSON.stringify(tip)}`);
  await page.screenshot({ path: path.join(outdir, 'speedscope-time-order.png') });
  await page.keyboard.press('3');
  await page.waitForFunction(() => /Symbol Name/.test(document.body.innerText),
    null, { timeout: 15000 });
  const rows = parseSandwich(await bodyText(page));
  for (const [name, self] of opt.self)
    check(rows[name] && rows[name].self.startsWith(self),
      `sandwich: ${name} self ${rows[name] && rows[name].self} != ${self}`);
  await page.screenshot({ path: path.join(outdir, 'speedscope-sandwich.png') });
  check(errors.length === 0, `speedscope reported: ${errors.join('; ')}`);
} catch (e) {
  if (e.message !== 'not loaded') check(false, e.message);
} finally {
  await browser.close();
  await srv.close();
}
lib.summary(passed, failed);
