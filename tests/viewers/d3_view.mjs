// Renders libprof's d3 export with d3-flame-graph 5 and d3 7 (npm) in
// Debian's chromium, in d3.html served on 127.0.0.1:
//   node d3_view.mjs FILE OUTDIR [--name NAME] [--inlined NAME] [--managed NAME]
// Checks: no page or console error; one drawn frame (g.frame) per node of
// the JSON tree; NAME among the drawn labels; an --inlined frame drawn in
// d3-flame-graph's aqua (its color for libtype "inlined"). Screenshot to
// OUTDIR/d3-flame-graph.png.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from './serve.mjs';
import { launch, watchErrors } from './browser.mjs';
import * as lib from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const nm = path.join(here, '..', 'node_modules');
const [file, outdir, ...rest] = process.argv.slice(2);
const opt = {};
for (let i = 0; i < rest.length; i += 2) opt[rest[i].slice(2)] = rest[i + 1];

const countNodes = (n) => 1 + (n.children ?? []).reduce((a, c) => a + countNodes(c), 0);
// A file that is not JSON has no node count; the page must then fail.
let expected = -1;
try {
  expected = countNodes(JSON.parse(fs.readFileSync(file, 'utf8')));
} catch (e) {
  console.log(`${file}: ${e.message}`);
}
let passed = 0, failed = 0;
const check = (ok, msg) => (ok ? passed++ : (lib.fail(msg), failed++));

const srv = await serve({
  '/index.html': path.join(here, 'd3.html'), '/profile.json': file,
  '/d3/': path.join(nm, 'd3', 'dist') + '/',
  '/d3fg/': path.join(nm, 'd3-flame-graph', 'dist') + '/',
});
const browser = await launch();
try {
  const page = await browser.ctx.newPage();
  const errors = watchErrors(page);
  await page.goto(`${srv.url}/index.html`);
  await page.waitForFunction(() => window.__flame !== undefined, null, { timeout: 20000 });
  check(await page.evaluate(() => window.__flame) === 'ok',
    `page: ${await page.evaluate(() => window.__flame)}`);
  const frames = await page.evaluate(() => [...document.querySelectorAll('#chart svg g.frame')]
    .map((g) => ({ name: g.getAttribute('name'), fill: g.querySelector('rect').getAttribute('fill') })));
  check(frames.length === expected, `drew ${frames.length} frames, the tree has ${expected}`);
  if (opt.name) check(frames.some((f) => f.name === opt.name), `no frame named ${opt.name}`);
  if (opt.inlined) {
    const f = frames.find((x) => x.name === opt.inlined);
    const [r, g, b] = (f ? /rgb\((\d+),(\d+),(\d+)\)/.exec(f.fill).slice(1) : [1, 0, 0]).map(Number);
    check(g === b && g > r, `inlined ${opt.inlined} is ${f && f.fill}, not aqua`);
  }
  if (opt.managed) { // libtype "jit": d3-flame-graph's green, not C's red
    const f = frames.find((x) => x.name === opt.managed);
    const [r, g, b] = (f ? /rgb\((\d+),(\d+),(\d+)\)/.exec(f.fill).slice(1) : [1, 0, 0]).map(Number);
    check(g > r && g > b, `managed ${opt.managed} is ${f && f.fill}, not green`);
  }
  await page.screenshot({ path: path.join(outdir, 'd3-flame-graph.png') });
  console.log(`drawn frames: ${frames.length}`);
  check(errors.length === 0, `errors: ${errors.join('; ')}`);
} catch (e) {
  check(false, e.message);
} finally {
  await browser.close();
  await srv.close();
}
lib.summary(passed, failed);
