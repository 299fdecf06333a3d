// Opens libprof's self-contained HTML flame graph from file:// in Debian's
// chromium with every network request aborted, and uses it as a person
// would:
//   node html_view.mjs FILE.html OUTDIR [--name NAME] [--hover NAME]
//        [--where FILE:LINE] [--runtime RT] [--threads N]
// Checks: no request leaves file:// (each one is aborted and counted), no
// page or console error; the page reports ready; the first view draws
// frames, all of them nodes of the embedded tree, NAME among them; a click
// on NAME zooms it to the chart's width and "Reset zoom" undoes it; search
// for NAME colours exactly the frames named NAME magenta and says so;
// hovering the --hover frame shows a tooltip with its file:line (--where),
// its runtime (--runtime) and a time unit; the view selector holds "all
// threads" plus N threads, and choosing another view redraws the chart
// with that thread's frames; the function table lists NAME. A frame of
// runtime RT is drawn in another hue than the native frames.
// Screenshots to OUTDIR/html-*.png.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch, watchErrors } from './browser.mjs';
import * as lib from './lib.mjs';

const [file, outdir, ...rest] = process.argv.slice(2);
const opt = {};
for (let i = 0; i < rest.length; i += 2) opt[rest[i].slice(2)] = rest[i + 1];
let passed = 0, failed = 0;
const check = (ok, msg) => (ok ? passed++ : (lib.fail(msg), failed++));
const url = pathToFileURL(path.resolve(file)).href;

const browser = await launch();
const blocked = [];
try {
  const page = await browser.ctx.newPage();
  const errors = watchErrors(page);
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u === url) return route.continue();
    blocked.push(u);
    return route.abort();
  });
  await page.goto(url);
  await page.waitForFunction(() => window.__libprof !== undefined, null, { timeout: 20000 });
  check(await page.evaluate(() => window.__libprof.state) === 'ok', 'page not ready');
  const frames = () => page.evaluate(() => [...document.querySelectorAll('#chart svg g.frame')]
    .map((g) => ({ name: g.getAttribute('name'), fill: g.querySelector('rect').getAttribute('fill') })));
  const tree = await page.evaluate(() => {
    const names = new Set();
    const walk = (d) => { names.add(d.name); (d.children || []).forEach(walk); };
    walk(JSON.parse(document.getElementById('libprof-data').textContent));
    return [...names];
  });
  const drawn = await frames();
  console.log(`view "${await page.evaluate(() => window.__libprof.view)}": ${drawn.length} frames`);
  check(drawn.length > 1, `drew ${drawn.length} frames`);
  check(drawn.every((f) => tree.includes(f.name) || /^all threads/.test(f.name)),
    'a drawn frame is not in the embedded tree');
  if (opt.name) check(drawn.some((f) => f.name === opt.name), `no frame named ${opt.name}`);
  await page.screenshot({ path: path.join(outdir, 'html-all.png'), fullPage: true });

  if (opt.runtime) {
    const hue = (fill) => {
      const m = /hsl\((\d+)/.exec(fill) ?? /rgb\((\d+), ?(\d+), ?(\d+)\)/.exec(fill);
      return m ? m[0] : fill;
    };
    const rt = await page.evaluate((rt) => [...document.querySelectorAll('#chart svg g.frame')]
      .filter((g) => { const d = g.__data__.data; return d.runtime === rt && d.libtype === 'jit'; })
      .map((g) => g.querySelector('rect').getAttribute('fill')), opt.runtime);
    const nat = await page.evaluate(() => [...document.querySelectorAll('#chart svg g.frame')]
      .filter((g) => g.__data__.data.libtype === 'native')
      .map((g) => g.querySelector('rect').getAttribute('fill')));
    check(rt.length > 0 && nat.length > 0, `no ${opt.runtime} or no native frame drawn`);
    check(rt.every((c) => !nat.map(hue).includes(hue(c))), `${opt.runtime} frames share a colour with native ones`);
  }

  if (opt.hover) {
    await page.hover(`#chart svg g.frame[name="${opt.hover}"]`);
    await page.waitForFunction(() => {
      const t = document.querySelector('.d3-flame-graph-tip');
      return t && t.style.display === 'block';
    }, null, { timeout: 5000 });
    const tip = await page.evaluate(() => document.querySelector('.d3-flame-graph-tip').textContent);
    console.log(`tooltip: ${tip}`);
    if (opt.where) check(tip.includes(opt.where), `tooltip lacks ${opt.where}: ${tip}`);
    if (opt.runtime) check(tip.includes(opt.runtime), `tooltip lacks runtime ${opt.runtime}`);
    check(/\d (ms|s|µs) \(/.test(tip) && /CPU time|wall time/.test(tip), `tooltip has no unit: ${tip}`);
    check(!/\d+ samples\)/.test(tip.replace(/\d+ samples, /, '')), 'tooltip calls nanoseconds samples');
    await page.mouse.move(0, 0);
  }

  if (opt.name) { // zoom: a click widens the frame to the chart; reset undoes it
    const width = (n) => page.evaluate((n) => Math.max(...[...document.querySelectorAll(`#chart svg g.frame[name="${n}"] rect`)]
      .map((r) => Number(r.getAttribute('width')))), n);
    const full = await page.evaluate(() => Number(document.querySelector('#chart svg g.frame rect').getAttribute('width')));
    // d3-flame-graph animates drawing and zooming: poll until the widths
    // settle (two reads 100 ms apart agree) and meet ok.
    const settle = async (ok) => {
      let w = await width(opt.name), prev = -1;
      for (let t = 0; t < 50 && !(w === prev && ok(w)); t++) {
        await page.waitForTimeout(100);
        prev = w;
        w = await width(opt.name);
      }
      return w;
    };
    const before = await settle(() => true);
    await page.click(`#chart svg g.frame[name="${opt.name}"]`);
    const zoomed = await settle((w) => w > full * 0.99);
    check(before < full * 0.99 ? zoomed > full * 0.99 : zoomed >= before,
      `zoom: ${opt.name} ${before} -> ${zoomed} of ${full}`);
    await page.click('#reset');
    const after = await settle((w) => Math.abs(w - before) < 1);
    check(Math.abs(after - before) < 1, `reset zoom: ${opt.name} ${after}, was ${before}`);
    await page.mouse.move(0, 0);
  }

  if (opt.name) {
    await page.fill('#search', opt.name);
    await page.waitForTimeout(400);
    const after = await frames();
    const hit = after.filter((f) => f.fill.toLowerCase() === '#e600e6');
    check(hit.length > 0 && hit.every((f) => f.name.includes(opt.name)),
      `search ${opt.name} highlighted ${hit.map((f) => f.name).join(',') || 'nothing'}`);
    const details = await page.textContent('#details');
    check(/^search: \d+ frames/.test(details), `search details: ${details}`);
    await page.screenshot({ path: path.join(outdir, 'html-search.png') });
    await page.fill('#search', '');
    const table = await page.evaluate(() => [...document.querySelectorAll('#functions tbody tr')]
      .map((tr) => tr.cells[5].textContent));
    check(table.includes(opt.name), `function table lacks ${opt.name}`);
  }

  const options = await page.evaluate(() => [...document.querySelectorAll('#thread option')].map((o) => o.textContent));
  console.log(`views: ${options.join(' | ')}`);
  if (opt.threads) {
    const n = Number(opt.threads);
    check(options.length === (n === 1 ? 1 : n + 1), `${options.length} views for ${n} threads`);
    if (n > 1) check(/^all threads/.test(options[0]), `first view is ${options[0]}`);
  }
  if (options.length > 1) {
    const last = String(options.length - 1);
    await page.selectOption('#thread', last);
    await page.waitForTimeout(400);
    const view = await page.evaluate(() => window.__libprof.view);
    check(options[options.length - 1].startsWith(view), `view is ${view} after choosing ${options[options.length - 1]}`);
    const names = await page.evaluate(() => [...document.querySelectorAll('#chart svg g.frame')].map((g) => g.getAttribute('name')));
    check(names[0] === view || names.includes(view), `redrawn chart's root is not ${view}`);
    const want = await page.evaluate((v) => {
      const data = JSON.parse(document.getElementById('libprof-data').textContent);
      const t = data.children.find((c) => c.name === v);
      const s = new Set(); const walk = (d) => { s.add(d.name); (d.children || []).forEach(walk); };
      walk(t); return [...s];
    }, view);
    check(names.every((x) => want.includes(x)), `thread view draws frames of another thread`);
    await page.screenshot({ path: path.join(outdir, 'html-thread.png') });
  }
  check(errors.length === 0, `errors: ${errors.join('; ')}`);
} catch (e) {
  check(false, e.message);
} finally {
  await browser.close();
}
check(blocked.length === 0, `the page asked the network for: ${blocked.join(', ')}`);
lib.summary(passed, failed);
