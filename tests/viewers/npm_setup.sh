#!/bin/sh
# Installs the pinned viewer packages of tests/package.json into
# tests/node_modules with `npm ci`, unless the installed tree already
# matches the lockfile (npm writes node_modules/.package-lock.json).
# Usage: npm_setup.sh TESTS_DIR
set -eu
dir=$1
if [ -f "$dir/node_modules/.package-lock.json" ] &&
   node -e '
     const fs = require("fs");
     const want = JSON.parse(fs.readFileSync(process.argv[1])).packages;
     const have = JSON.parse(fs.readFileSync(process.argv[2])).packages;
     for (const [k, v] of Object.entries(want))
       if (k && (!have[k] || have[k].version !== v.version)) process.exit(1);
   ' "$dir/package-lock.json" "$dir/node_modules/.package-lock.json"; then
  echo "npm packages already installed"
  exit 0
fi
cd "$dir"
npm ci --no-audit --no-fund
