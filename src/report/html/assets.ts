/**
 * What each report page inlines: its own script (the compiled client/ modules, joined into one
 * script here) and uPlot's IIFE build and stylesheet. Read once per process.
 *
 * Why join the modules here instead of a bundler: the client is a handful of our own ES modules
 * that import each other with relative `import { … } from './x.js'` lines only, and a bundler
 * (esbuild, rollup) would add a native or large dependency to the build for that. Each module
 * becomes a function scope returning its exports, so names never clash between modules.
 */

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PageAssets {
  script: string;
  uplotJs: string;
  uplotCss: string;
}

let cached: PageAssets | undefined;

export function pageAssets(): PageAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const here = dirname(fileURLToPath(import.meta.url));
  cached = {
    script: bundle(clientEntry(here)),
    uplotJs: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    uplotCss: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
  return cached;
}

/**
 * The compiled client: beside this file in dist/, or — when this file runs from src/ under the
 * test runner — in the build's dist/ (npm test builds first).
 */
function clientEntry(here: string): string {
  const candidates = [
    join(here, 'client', 'main.js'),
    join(here, '..', '..', '..', 'dist', 'src', 'report', 'html', 'client', 'main.js'),
  ];
  const found = candidates.find((f) => existsSync(f));
  if (!found)
    throw new Error(
      `the HTML report's page script is not built (looked in ${candidates.join(', ')}): run npm run build`,
    );
  return found;
}

const IMPORT = /^import\s*\{([^}]*)\}\s*from\s*'([^']+)';?[ \t]*$/gm;
const BARE_IMPORT = /^import\s/m;
const EXPORT_DECL = /^export (?:async )?(?:function\*?|const|let|class) ([A-Za-z_$][\w$]*)/gm;

/** Joins `entry` and the modules it imports (dependencies first) into one script. */
export function bundle(entry: string): string {
  const order: string[] = [];
  const seen = new Set<string>();
  const sources = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    sources.set(file, text);
    for (const m of text.matchAll(IMPORT)) visit(resolve(dirname(file), m[2]!));
    order.push(file);
  };
  visit(entry);
  const names = new Map(order.map((f, k) => [f, `__m${k}`]));
  const parts = order.map((file) => {
    let text = sources.get(file)!;
    const exported = [...text.matchAll(EXPORT_DECL)].map((m) => m[1]!);
    text = text.replace(IMPORT, (_all, list: string, spec: string) => {
      const bindings = list
        .split(',')
        .map((b) => b.trim())
        .filter((b) => b.length > 0)
        .map((b) => b.replace(/\s+as\s+/, ': '));
      return `const { ${bindings.join(', ')} } = ${names.get(resolve(dirname(file), spec))};`;
    });
    if (BARE_IMPORT.test(text)) throw new Error(`${file}: an import form the report bundler does not handle`);
    text = text
      .replace(/^export \{\s*\};?\s*$/gm, '')
      .replace(/^export (?=(?:async )?(?:function|const|let|class) )/gm, '');
    text = text.replace(/^\/\/# sourceMappingURL=.*$/gm, '');
    return `const ${names.get(file)} = (() => {\n${text}\nreturn { ${exported.join(', ')} };\n})();`;
  });
  return `(() => {\n'use strict';\n${parts.join('\n')}\n})();\n`;
}
