// The production bundle's budget (issue #9): the JavaScript the first page
// load needs (index.html's entry script and its modulepreloads), gzipped,
// is at most 300 KB; the editors (CodeMirror, React Flow) stay in lazily
// loaded route chunks. Run after `npm run build`: node e2e/bundle-size.mjs
// (the e2e run checks it too).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const BUDGET_BYTES = 300 * 1000;

/** Markers of the libraries that must never be in the initial chunks. */
const lazyOnly = { 'React Flow': 'react-flow__', CodeMirror: 'cm-editor' };

/** checkBundle measures dist; it throws when the budget is exceeded or an editor leaked into the first load. */
export function checkBundle(dist) {
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/<script[^>]+src="([^"]+\.js)"|<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"/g)].map((m) => m[1] ?? m[2]);
  const gz = (file) => gzipSync(readFileSync(file)).length;
  const initial = refs.map((r) => {
    const file = path.join(dist, 'assets', path.basename(r));
    const text = readFileSync(file, 'utf8');
    for (const [lib, marker] of Object.entries(lazyOnly)) if (text.includes(marker)) throw new Error(`${lib} is in the initial chunk ${path.basename(r)}`);
    return { file: path.basename(r), gzip: gz(file) };
  });
  const total = initial.reduce((a, c) => a + c.gzip, 0);
  const lazy = readdirSync(path.join(dist, 'assets'))
    .filter((f) => f.endsWith('.js') && !initial.some((i) => i.file === f))
    .map((f) => ({ file: f, gzip: gz(path.join(dist, 'assets', f)) }))
    .sort((a, b) => b.gzip - a.gzip);
  const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
  const report = `initial JS ${kb(total)} gzipped (budget ${kb(BUDGET_BYTES)}): ${initial.map((i) => `${i.file} ${kb(i.gzip)}`).join(', ')}; largest lazy chunks: ${lazy
    .slice(0, 4)
    .map((i) => `${i.file} ${kb(i.gzip)}`)
    .join(', ')}`;
  if (total > BUDGET_BYTES) throw new Error(`over budget: ${report}`);
  return { total, initial, lazy, report };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', process.argv[2] ?? 'dist');
  try {
    console.log(checkBundle(dist).report);
  } catch (e) {
    console.error(String(e instanceof Error ? e.message : e));
    process.exit(1);
  }
}
