/**
 * ReportModel → one self-contained HTML file: the model as inline JSON, the page's script, uPlot
 * and the stylesheet inline. Opens from disk with no network access; the page draws itself from
 * the model (client/). Pure apart from reading the assets once.
 */

import { pageAssets } from './assets.js';
import type { ReportModel } from './model.js';
import { PAGE_CSS } from './styles.js';

export function renderHtml(model: ReportModel): string {
  const assets = pageAssets();
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nothing on this page loads from anywhere: say so to the browser too.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(model.title)}</title>`,
    `<style>${assets.uplotCss}\n${PAGE_CSS}</style>`,
    '</head>',
    '<body>',
    `<div id="app"><p>Loading ${escapeHtml(model.title)}… (this report needs JavaScript)</p></div>`,
    `<script type="application/json" id="imspec-model">${inlineJson(model)}</script>`,
    `<script>${assets.uplotJs}</script>`,
    `<script>${assets.script}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** JSON that cannot end its <script> element early (`</script>`, `<!--`). */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
