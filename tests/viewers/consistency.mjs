// Cross-format consistency: per-function self totals agree across the
// four formats written from one model (one run):
//   node consistency.mjs DIR BASE
// reads DIR/BASE.speedscope.json, .d3.json, .folded, _ns.folded, .pb.gz.
import path from 'node:path';
import * as lib from './lib.mjs';

const [dir, base] = process.argv.slice(2);
const f = (suffix) => path.join(dir, base + suffix);
const ss = lib.speedscopeSelf(f('.speedscope.json'));
const d3 = lib.d3Self(f('.d3.json'));
const colCounts = lib.collapsedSelf(f('.folded'));
const colNs = lib.collapsedSelf(f('_ns.folded'));
const pp = lib.pprofSelf(f('.pb.gz'));

let passed = 0, failed = 0;
const check = (what, a, b) => (lib.sameMaps(what, a, b) ? passed++ : failed++);
if (ss.ns.size === 0) {
  lib.fail('speedscope file has no samples');
  failed++;
}
check('self ns speedscope vs d3', ss.ns, d3.ns);
check('self ns speedscope vs collapsed', ss.ns, colNs);
check('self ns speedscope vs pprof', ss.ns, pp.ns);
check('self samples speedscope vs d3', ss.counts, d3.counts);
check('self samples speedscope vs collapsed', ss.counts, colCounts);
check('self samples speedscope vs pprof', ss.counts, pp.counts);
console.log(`functions compared: ${[...ss.ns.keys()].sort().join(', ')}`);
lib.summary(passed, failed);
