/** The report page's stylesheet (inlined by render.ts): readable on a laptop screen, printable. */

export const PAGE_CSS = `
:root { --fg:#1f2328; --muted:#656d76; --line:#d0d7de; --bg:#fff; --hl:#f59e0b; --fail:#cf222e; --pass:#1a7f37;
  --warn:#9a6700; --info:#0969da; --R:#0969da; --A:#1a7f37; --N:#8250df; font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; }
body { margin: 0; color: var(--fg); background: var(--bg); font-size: 14px; line-height: 1.4; }
main { padding: 12px 20px 40px; max-width: 1600px; margin: 0 auto; }
h1 { font-size: 20px; margin: 8px 0; } h2 { font-size: 16px; margin: 18px 0 6px; } h3 { font-size: 14px; }
table { border-collapse: collapse; } th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .wl-line, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
code { background: #f6f8fa; padding: 1px 4px; border-radius: 4px; word-break: break-all; }
.muted { color: var(--muted); } .small { font-size: 12px; }
.meta th { color: var(--muted); font-weight: 500; width: 110px; }
.verdict, .chip { display: inline-block; font-weight: 700; font-size: 12px; padding: 1px 6px; border-radius: 4px; color: #fff; background: var(--muted); }
.chip { border: 0; margin: 4px 6px 4px 0; padding: 4px 10px; cursor: pointer; font-size: 13px; }
.v-PASS { background: var(--pass); } .v-FAIL, .v-ERROR { background: var(--fail); } .v-WARN, .v-FLAKY { background: var(--warn); }
.v-INFO { background: var(--info); } .v-XFAIL, .v-UNSUPPORTED { background: #6e7781; } .v-INCONCLUSIVE { background: #3b5bdb; }
.toolbar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 6px 0; }
select, input[type=search], button { font: inherit; font-size: 13px; padding: 2px 6px; }
table.cases { width: 100%; } table.cases tr:hover td { background: #f6f8fa; }
.findings { padding-left: 22px; } .finding { padding: 6px 8px; margin: 4px 0; border-left: 4px solid var(--line); cursor: pointer; }
.finding.l-MUST { border-left-color: var(--fail); } .finding.l-SHOULD { border-left-color: var(--warn); }
.finding.selected { background: #fff8e6; outline: 2px solid var(--hl); }
.reason { color: var(--fail); }
.case-head h1 { margin: 4px 0 2px; } .case-head p { margin: 2px 0; } .facts { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 4px 0; font-size: 13px; }
.facts span b { color: var(--muted); font-weight: 500; margin-right: 4px; }
.panes { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 14px; margin-top: 8px; }
.pane-side { display: flex; flex-direction: column; gap: 8px; min-width: 0; } .pane-side h2, .pane-diagram h2 { margin: 2px 0 4px; }
.findings-box { max-height: 34vh; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
.findings { margin: 4px 0; }
@media (max-width: 1100px) { .panes { grid-template-columns: 1fr; } }
.diagram, .wirelog { border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; }
.lanes { position: relative; height: 24px; border-bottom: 1px solid var(--line); }
.lane-name { position: absolute; width: 150px; text-align: center; font-weight: 600; font-size: 12px; top: 4px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.lane-name.server { color: var(--N); }
.seq-scroll { height: max(420px, calc(100vh - 250px)); overflow: auto; position: relative; }
.seq-inner { position: relative; } svg.seq { position: absolute; left: 0; }
svg.seq text { font-size: 11px; fill: var(--fg); } svg.seq .label.mid { text-anchor: middle; }
svg.seq .time { font-size: 10px; fill: var(--muted); text-anchor: end; }
svg.seq .lane { stroke: #c8ccd1; stroke-dasharray: 3 3; }
svg.seq .arrow { stroke: #57606a; stroke-width: 1.4; } .arrowhead { fill: #57606a; }
svg.seq .arrow.op-msg { stroke: var(--R); } svg.seq .arrow.op-ack { stroke: var(--A); } svg.seq .arrow.op-sync, svg.seq .arrow.op-hello { stroke: #6e7781; }
svg.seq .arrow.invalid, svg.seq circle.note.failed { stroke: var(--fail); fill: var(--fail); } svg.seq text.note.failed { fill: var(--fail); }
svg.seq .faulted { stroke-width: 2.2; } svg.seq .f-drop, svg.seq .lost { stroke: var(--fail); stroke-dasharray: 5 3; }
svg.seq text.faulted-label, svg.seq text.invalid-label { fill: var(--fail); font-weight: 600; } svg.seq text.end { text-anchor: end; }
svg.seq .f-delay, svg.seq .f-reorder { stroke: var(--warn); } svg.seq .f-duplicate { stroke: var(--N); }
svg.seq .cross { stroke: var(--fail); stroke-width: 2.5; }
svg.seq rect.fault { fill: var(--fail); } svg.seq rect.fault.consequence { fill: #ffb3b3; }
svg.seq .note { fill: #6e7781; } svg.seq text.note { fill: #57606a; }
svg.seq line.target { stroke: #6e7781; stroke-width: 2; } svg.seq line.target.down { stroke: var(--fail); }
svg.seq text.target { fill: #57606a; stroke: none; font-weight: 600; text-anchor: middle; }
svg.seq text.target.down { fill: var(--fail); font-weight: 700; }
svg.seq .band.down { fill: #cf222e14; } svg.seq .band.paused { fill: #9a670014; }
svg.seq .step { stroke: #8c959f; stroke-dasharray: 1 3; } svg.seq .step-label { fill: #57606a; font-style: italic; }
svg.seq .omitted { fill: #eaeef2; } svg.seq .folded { fill: #f6f8fa; stroke: #d0d7de; cursor: pointer; }
svg.seq .folded-label { fill: var(--info); cursor: pointer; } svg.seq .omitted-label { fill: var(--muted); }
svg.seq .hl { stroke: var(--hl) !important; stroke-width: 3.5; } svg.seq text.hl { fill: #b45309 !important; stroke: none !important; font-weight: 700; }
svg.seq circle.hl, svg.seq rect.hl { fill: var(--hl) !important; }
.wl-scroll { height: max(240px, calc(66vh - 250px)); overflow: auto; position: relative; } .wl-inner { position: relative; }
.wl-line { position: absolute; left: 0; right: 0; height: 18px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; cursor: pointer; }
.wl-line.fault { color: var(--fail); } .wl-line.k-note, .wl-line.k-step { color: var(--muted); } .wl-line.hl { background: #fde68a; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; } figure.chart { margin: 0; } figcaption { font-size: 12px; color: var(--muted); }
.two { display: flex; gap: 32px; flex-wrap: wrap; }
tr.broken td { background: #ffebe9; }
pre.excerpt { background: #f6f8fa; padding: 8px; overflow: auto; }
@media print {
  .toolbar, .back, button.zoom { display: none !important; }
  main { max-width: none; padding: 0; } body { font-size: 11px; }
  .seq-scroll, .wl-scroll { height: auto; overflow: visible; } .panes { grid-template-columns: 1fr; }
  .findings-box { max-height: none; overflow: visible; } tr, .finding { break-inside: avoid; }
}
`;
