// A tiny static file server on 127.0.0.1 and an ephemeral port, for the
// viewer tests. routes: { "/url/prefix/": "/dir/", "/exact": "/file" }.
// Only GETs of files under the given roots; everything else is 404.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript',
  '.mjs': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.wasm': 'application/wasm', '.png': 'image/png', '.ico': 'image/x-icon',
  '.woff2': 'font/woff2', '.txt': 'text/plain',
};

// Exact routes win over directory prefixes; longer prefixes over shorter.
function resolve(routes, url) {
  const p = decodeURIComponent(new URL(url, 'http://x').pathname);
  if (!p.endsWith('/') && routes[p]) return routes[p];
  const prefixes = Object.keys(routes).filter((k) => k.endsWith('/'))
    .sort((a, b) => b.length - a.length);
  for (const prefix of prefixes) {
    if (!p.startsWith(prefix)) continue;
    const rel = path.normalize(p.slice(prefix.length) || 'index.html');
    if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
    return path.join(routes[prefix], rel);
  }
  return null;
}

export function serve(routes) {
  const server = http.createServer((req, res) => {
    const file = req.method === 'GET' ? resolve(routes, req.url) : null;
    fs.readFile(file ?? '', (err, data) => {
      if (err || !file) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'access-control-allow-origin': '*',
      });
      res.end(data);
    });
  });
  return new Promise((ok) => {
    server.listen(0, '127.0.0.1', () => ok({
      url: `http://127.0.0.1:${server.address().port}`,
      close: () => new Promise((done) => server.close(done)),
    }));
  });
}
