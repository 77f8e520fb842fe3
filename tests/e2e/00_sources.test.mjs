// Checks of the UI's sources that need no browser: every string key the code asks for exists in
// the strings file, and nothing in the code would need a weaker Content-Security-Policy (inline
// scripts or styles, HTML strings, eval) or load anything from another origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
const assets = join(web, 'assets');
const sources = readdirSync(assets).filter((f) => f.endsWith('.js')).map((f) => [f, readFileSync(join(assets, f), 'utf8')]);
const { messages, labels } = await import(join(assets, 'strings.js'));

test('every string key used by the code is in strings.js', () => {
  const missing = [];
  for (const [file, text] of sources) {
    for (const m of text.matchAll(/\bt\(\s*'([a-z_]+\.[a-z_0-9]+)'/g)) if (!(m[1] in messages)) missing.push(`${file}: ${m[1]}`);
    for (const m of text.matchAll(/\bt\(\s*`([a-z_]+\.[a-z_]*)\$\{/g)) {
      const prefix = m[1];
      if (!Object.keys(messages).some((k) => k.startsWith(prefix))) missing.push(`${file}: ${prefix}…`);
    }
    for (const m of text.matchAll(/\blabel\(\s*'([a-z_]+)'/g)) if (!(m[1] in labels)) missing.push(`${file}: label ${m[1]}`);
  }
  assert.deepEqual(missing, []);
});

test('no inline script or style, HTML strings, eval or other origins', () => {
  const html = readFileSync(join(web, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'an inline script in index.html');
  assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i, 'inline style or handler in index.html');
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i, 'index.html loads from another origin');
  const forbidden = [
    [/\.innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(/, 'builds HTML from strings or evaluates code'],
    [/setAttribute\(\s*'style'|\bstyle: '[a-z-]+:/, 'sets a style attribute'],
    [/https?:\/\//, 'names another origin'],
  ];
  for (const [file, text] of sources)
    for (const [re, what] of forbidden) {
      const m = re.exec(text);
      assert.ok(!m, `${file} ${what}: ${m && m[0]}`);
    }
});
