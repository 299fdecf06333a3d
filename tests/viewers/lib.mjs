// Readers for the four export formats, reduced to what the checks compare:
// per-function self weight (nanoseconds) and self sample counts, keyed by
// plain function name (format markers such as `_[i]` removed). Thread
// frames (collapsed roots, d3 thread nodes) are not functions.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

function add(map, name, v) {
  map.set(name, (map.get(name) ?? 0) + v);
}

export function speedscopeSelf(file) {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  const ns = new Map(), counts = new Map();
  for (const p of doc.profiles) {
    p.samples.forEach((stack, i) => {
      if (stack.length === 0) return;
      const name = doc.shared.frames[stack[stack.length - 1]].name;
      add(ns, name, p.weights[i]);
      add(counts, name, p.libprof ? p.libprof.counts[i] : 1);
    });
  }
  return { ns, counts };
}

export function d3Self(file) {
  const root = JSON.parse(fs.readFileSync(file, 'utf8'));
  const ns = new Map(), counts = new Map();
  const walk = (node, depth) => {
    const kids = node.children ?? [];
    if (depth >= 2) { // 0 = process, 1 = thread
      const sum = (k) => kids.reduce((a, c) => a + (c[k] ?? 0), 0);
      add(ns, node.name, node.value - sum('value'));
      add(counts, node.name, node.samples - sum('samples'));
    }
    kids.forEach((c) => walk(c, depth + 1));
  };
  walk(root, 0);
  return { ns, counts };
}

// One of the two collapsed files: counts (default) or nanoseconds.
export function collapsedSelf(file) {
  const self = new Map();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const m = /^(.*) (\d+)$/.exec(line);
    if (!m) throw new Error(`${file}: bad line ${line}`);
    const frames = m[1].split(';');
    if (frames.length < 2) continue; // thread root only: no function
    add(self, frames[frames.length - 1].replace(/_\[[ijk]\]$/, ''), Number(m[2]));
  }
  return self;
}

export function goPprof(args) {
  return execFileSync('go', ['tool', 'pprof', ...args], {
    encoding: 'utf8',
    env: { ...process.env, HOME: process.env.LIBPROF_GO_HOME ?? process.env.HOME,
      PPROF_TMPDIR: process.env.LIBPROF_GO_HOME ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

// `go tool pprof -raw`: samples (count, ns, location ids) and locations
// (their functions, innermost inlined first). A managed function's line
// ends in "(<runtime>:<name>)", its system_name.
export function pprofRaw(file) {
  const text = goPprof(['-raw', file]);
  const samples = [], locs = new Map();
  let section = '', cur = null;
  for (const line of text.split('\n')) {
    const head = /^(Samples|Locations|Mappings):?$/.exec(line);
    if (head) {
      section = head[1];
      continue;
    }
    let m;
    if (section === 'Samples' && (m = /^\s+(\d+)\s+(\d+): ([\d ]+)$/.exec(line))) {
      samples.push({ count: +m[1], ns: +m[2], locs: m[3].trim().split(' ').map(Number) });
    } else if (section === 'Locations' && (m = /^\s+(\d+): 0x[0-9a-f]+ (?:M=\d+ )?(.*?) (\S*):(\d+) s=\d+(?:\(.*\))?$/.exec(line))) {
      cur = [m[2]];
      locs.set(+m[1], cur);
    } else if (section === 'Locations' && cur && (m = /^\s+(.*?) (\S*):(\d+) s=\d+(?:\(.*\))?$/.exec(line))) {
      cur.push(m[1]);
    }
  }
  return { samples, locs, text };
}

export function pprofSelf(file) {
  const { samples, locs } = pprofRaw(file);
  const ns = new Map(), counts = new Map();
  for (const s of samples) {
    if (s.locs.length === 0) continue;
    const leaf = locs.get(s.locs[0])[0];
    add(ns, leaf, s.ns);
    add(counts, leaf, s.count);
  }
  return { ns, counts };
}

export function fail(msg) {
  console.error(`FAIL: ${msg}`);
  process.exitCode = 1;
}

export function sameMaps(what, a, b) {
  const keys = new Set([...a.keys(), ...b.keys()]);
  let ok = true;
  for (const k of [...keys].sort()) {
    const x = a.get(k) ?? 0, y = b.get(k) ?? 0;
    if (x !== y) {
      fail(`${what}: ${k}: ${x} != ${y}`);
      ok = false;
    }
  }
  return ok;
}

// The closing line ctest-aware runners look for.
export function summary(passed, failed) {
  console.log(`${passed} passed, ${failed} failed`);
  if (failed) process.exitCode = 1;
}
