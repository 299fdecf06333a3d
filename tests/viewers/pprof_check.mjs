// `go tool pprof` reads libprof's pprof output, and what it reports
// matches the speedscope export of the same model (run):
//   node pprof_check.mjs DIR BASE [--require-inline]
// - `-top -unit=ns`: the top function and its flat weight equal the
//   speedscope file's top self function, and the total equals the sum of
//   its profiles' weights;
// - every inlined frame of the speedscope file (with self weight) shows as
//   "NAME (inline)" in -top, and in -raw as the first of several lines of
//   one location;
// - -raw names every function the speedscope samples have.
import fs from 'node:fs';
import path from 'node:path';
import * as lib from './lib.mjs';

const [dir, base, flag] = process.argv.slice(2);
const ssFile = path.join(dir, `${base}.speedscope.json`);
const ppFile = path.join(dir, `${base}.pb.gz`);
const doc = JSON.parse(fs.readFileSync(ssFile, 'utf8'));
const ss = lib.speedscopeSelf(ssFile);
let passed = 0, failed = 0;
const check = (ok, msg) => (ok ? passed++ : (lib.fail(msg), failed++));

const total = doc.profiles.reduce((a, p) => a + p.weights.reduce((x, y) => x + y, 0), 0);
const top = [...ss.ns.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];

const topText = lib.goPprof(['-top', '-unit=ns', '-nodecount=1000', ppFile]);
const tot = /Total samples = (\d+)ns/.exec(topText);
check(tot && +tot[1] === total, `pprof total ${tot && tot[1]} != speedscope ${total}`);
const rows = [...topText.matchAll(/^\s*(\d+)ns\s+\S+\s+\S+\s+(\d+)ns\s+\S+\s+(.*)$/gm)]
  .map((m) => ({ flat: +m[1], cum: +m[2], name: m[3] }));
check(rows.length > 0, 'pprof -top printed no rows');
const first = rows[0] ?? { name: '', flat: -1 };
check(first.name.replace(/ \(inline\)$/, '') === top[0] && first.flat === top[1],
  `pprof top "${first.name}" ${first.flat} != speedscope top "${top[0]}" ${top[1]}`);

const raw = lib.pprofRaw(ppFile);
const inlined = new Set(doc.shared.frames.filter((f) => f.inlined).map((f) => f.name));
const inlinedWithSelf = [...inlined].filter((n) => (ss.ns.get(n) ?? 0) > 0);
if (flag === '--require-inline')
  check(inlinedWithSelf.length > 0, 'no inlined frame with self weight in the speedscope file');
for (const name of inlinedWithSelf) {
  check(rows.some((r) => r.name === `${name} (inline)`), `-top lacks "${name} (inline)"`);
  check([...raw.locs.values()].some((l) => l[0] === name && l.length >= 2),
    `-raw has no location with ${name} inlined into a caller`);
}
const rawNames = new Set([...raw.locs.values()].flat());
for (const name of ss.ns.keys())
  check(rawNames.has(name), `-raw lacks function ${name}`);
console.log(`top: ${top[0]} ${top[1]} ns of ${total} ns; inlined: ${inlinedWithSelf.join(', ') || '(none)'}`);
lib.summary(passed, failed);
