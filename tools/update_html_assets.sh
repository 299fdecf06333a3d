#!/bin/sh
# Refreshes export/html/vendor/ from npm: the minified d3 and d3-flame-graph
# builds that the HTML writer inlines into every page, with their licenses.
# The library build never runs npm: it embeds the checked-in copies
# (cmake/embed_assets.cmake), so BUILD_TESTING=OFF needs no Node.
# The versions are the ones tests/package.json pins for the viewer tests.
# Usage: sh tools/update_html_assets.sh   (needs npm and the registry)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/export/html/vendor
d3=$(node -p 'require(process.argv[1]).devDependencies.d3' \
  "$root/tests/package.json")
fg=$(node -p 'require(process.argv[1]).devDependencies["d3-flame-graph"]' \
  "$root/tests/package.json")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm init -y >/dev/null &&
 npm install --no-audit --no-fund --loglevel=error --ignore-scripts \
   "d3@$d3" "d3-flame-graph@$fg" >/dev/null)
nm=$tmp/node_modules
mkdir -p "$dest"
cp "$nm/d3/dist/d3.min.js" "$dest/d3.min.js"
cp "$nm/d3/LICENSE" "$dest/LICENSE.d3"
cp "$nm/d3-flame-graph/dist/d3-flamegraph.umd.min.js" \
  "$dest/d3-flamegraph.umd.min.js"
cp "$nm/d3-flame-graph/LICENSE" "$dest/LICENSE.d3-flame-graph"
{
  echo "# Copied by tools/update_html_assets.sh from npm; do not edit."
  echo "d3 $(node -p 'require(process.argv[1]).version' "$nm/d3/package.json") dist/d3.min.js"
  echo "d3-flame-graph $(node -p 'require(process.argv[1]).version' "$nm/d3-flame-graph/package.json") dist/d3-flamegraph.umd.min.js"
} >"$dest/VERSIONS"
echo "updated $dest"
