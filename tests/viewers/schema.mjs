// speedscope files validate against speedscope's own published schema
// (npm speedscope, dist/release/file-format-schema.json) with ajv-cli:
//   node schema.mjs FILE...
// A negative control (the first file with a null frame name, which the
// schema rejects) must fail, so a validator that passes everything fails
// this test.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as lib from './lib.mjs';

const nm = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'node_modules');
const ajv = path.join(nm, 'ajv-cli', 'dist', 'index.js');
const schema = path.join(nm, 'speedscope', 'dist', 'release', 'file-format-schema.json');

function validate(file) {
  const r = spawnSync(process.execPath, [ajv, 'validate', '-s', schema, '-d', file],
    { encoding: 'utf8' });
  return { ok: r.status === 0, out: (r.stdout + r.stderr).trim() };
}

let passed = 0, failed = 0;
const files = process.argv.slice(2);
for (const f of files) {
  const r = validate(f);
  if (r.ok) passed++;
  else {
    failed++;
    lib.fail(`${f} does not validate:\n${r.out}`);
  }
}
const bad = JSON.parse(fs.readFileSync(files[0], 'utf8'));
bad.shared.frames[0].name = null;
const badFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'libprof-schema-')), 'bad.json');
fs.writeFileSync(badFile, JSON.stringify(bad));
if (validate(badFile).ok) {
  failed++;
  lib.fail('negative control: a null frame name validated');
} else passed++;
fs.rmSync(path.dirname(badFile), { recursive: true, force: true });
lib.summary(passed, failed);
