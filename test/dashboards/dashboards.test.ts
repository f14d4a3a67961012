import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alertRuleGroups } from '../../src/dashboards/alert-rules.js';
import {
  buildDashboard,
  DASHBOARD_FILES,
  generatedFiles,
  panelExpressions,
  substituteVariables,
} from '../../src/dashboards/index.js';
import { METRIC_LIST } from '../../src/metrics/definitions.js';

const dir = new URL('../../dashboards/', import.meta.url);

/** Every series name a definition exports: histograms add _bucket, _sum and _count. */
const exported = new Set(
  METRIC_LIST.flatMap((d) =>
    d.type === 'histogram' ? [`${d.name}_bucket`, `${d.name}_sum`, `${d.name}_count`] : [d.name],
  ),
);
/** Recording rules the panels may read (the SLO burn rates). */
const recorded = new Set(
  alertRuleGroups()
    .groups.flatMap((g) => g.rules as { record?: string }[])
    .flatMap((r) => (r.record ? [r.record] : [])),
);
const metricNames = (expr: string) => [...expr.matchAll(/\bimspec(_[a-z_]+|:[a-z_:0-9]+)/g)].map((m) => m[0]);

/**
 * The divisions of an expression whose denominator is not guarded the `ratio()` way,
 * `… / (den > 0)`: a binary `/` whose right operand is not a parenthesised `… > 0`.
 */
function unguardedDivisions(expr: string): string[] {
  const bad: string[] = [];
  for (const m of expr.matchAll(/ \/ /g)) {
    const rest = expr.slice(m.index + 3);
    let depth = 0;
    let end = -1;
    if (rest.startsWith('(')) {
      for (let i = 0; i < rest.length; i++) {
        if (rest[i] === '(') depth++;
        else if (rest[i] === ')' && --depth === 0) {
          end = i;
          break;
        }
      }
    }
    if (end < 0 || !/ > 0$/.test(rest.slice(1, end))) bad.push(expr.slice(m.index, m.index + 60));
  }
  return bad;
}

describe('generated dashboards and rules', () => {
  it('match the committed files in dashboards/ (run `npm run dashboards` after changing src/dashboards)', () => {
    for (const [file, content] of generatedFiles()) {
      expect(readFileSync(new URL(file, dir), 'utf8'), `dashboards/${file} is stale`).toBe(content);
    }
  });

  it('give every panel a description and every query a metric from the definition table', () => {
    for (const make of Object.values(DASHBOARD_FILES)) {
      const json = buildDashboard(make);
      const panels = (json.panels ?? []).filter((p) => p.type !== 'row');
      expect(panels.length).toBeGreaterThan(5);
      for (const p of panels) {
        expect(
          (p as { description?: string }).description?.length,
          `${json.title}/${p.title}`,
        ).toBeGreaterThan(40);
      }
      const exprs = panelExpressions(json);
      expect(exprs.length).toBeGreaterThanOrEqual(panels.length);
      for (const e of exprs) {
        const names = metricNames(e.expr);
        expect(names.length, e.expr).toBeGreaterThan(0);
        for (const n of names) expect(n.includes(':') ? recorded : exported, `${e.panel}: ${n}`).toContain(n);
      }
    }
  });

  it('offer datasource, job, target, driver, run and scenario variables used by every query, and an import input', () => {
    for (const make of Object.values(DASHBOARD_FILES)) {
      const json = buildDashboard(make);
      expect(json.templating?.list?.map((v) => v.name)).toEqual([
        'datasource',
        'job',
        'target',
        'driver',
        'run_id',
        'scenario',
      ]);
      for (const e of panelExpressions(json)) {
        expect(e.expr).toContain('job=~"$job"');
        expect(e.expr).toContain('target=~"$target"');
        // Recording rules aggregate by job and target: their panels filter on nothing else.
        if (metricNames(e.expr).every((n) => recorded.has(n))) continue;
        for (const v of ['driver', 'run_id', 'scenario']) expect(e.expr).toContain(`${v}=~"$${v}"`);
      }
      // The import dialog asks for a Prometheus data source and writes it into the default.
      const inputs = (json as { __inputs?: { name: string; type: string; pluginId: string }[] }).__inputs;
      expect(inputs).toEqual([
        expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }),
      ]);
      const ds = json.templating?.list?.[0] as { current?: { value?: string } };
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's import input.
      expect(ds.current?.value).toBe('${DS_PROMETHEUS}');
    }
  });

  it('cover the panels the issue asks for', () => {
    const titles = Object.values(DASHBOARD_FILES).flatMap((make) =>
      (buildDashboard(make).panels ?? []).map((p) => p.title),
    );
    for (const wanted of [
      'Messages per second',
      'Lost messages',
      'Duplicates: wire vs app',
      'Retransmit rate',
      'msg:A latency (p50 / p90 / p99)',
      'ack:N latency (p50 / p90 / p99)',
      'End-to-end delivery latency',
      'Seq gaps',
      'Schema violations by frame',
      'Probe success',
      'Faults injected vs retransmits and duplicates',
      'Verdict per scenario',
      'Delivery ratio',
      'Loss ratio',
      'Delivered / accepted',
      'Probe availability',
      'Ack-latency SLO burn rate',
      'Findings by requirement',
    ]) {
      expect(titles).toContain(wanted);
    }
  });

  it('guard every division against a zero denominator, in panels, recording rules and alerts', () => {
    const exprs = [
      ...Object.values(DASHBOARD_FILES).flatMap((make) =>
        panelExpressions(buildDashboard(make)).map((e) => e.expr),
      ),
      ...alertRuleGroups().groups.flatMap((g) => g.rules.map((r) => r.expr)),
    ];
    expect(exprs.filter((e) => e.includes(' / ')).length).toBeGreaterThan(4);
    expect(exprs.flatMap(unguardedDivisions)).toEqual([]);
    expect(unguardedDivisions('sum(a) / sum(b)')).toHaveLength(1);
    expect(unguardedDivisions('sum(a) / (sum(b) > 0)')).toEqual([]);
  });

  it('annotate fault windows and target kills and restarts on both dashboards', () => {
    for (const make of Object.values(DASHBOARD_FILES)) {
      const exprs = panelExpressions(buildDashboard(make)).filter((e) => e.refId === 'annotation');
      expect(exprs.map((e) => e.panel)).toEqual([
        'annotation: Faults injected',
        'annotation: Target kills and restarts',
      ]);
      expect(exprs[1]!.expr).toContain('fault=~"kill|term|restart|pause"');
    }
  });

  it('substitute Grafana variables the way Grafana does before querying', () => {
    expect(
      substituteVariables('rate(x{job=~"$job"}[$__rate_interval]) + y[$__range]', {
        job: 'ci',
        __rate_interval: '1m',
        __range: '5m',
      }),
    ).toBe('rate(x{job=~"ci"}[1m]) + y[5m]');
  });

  it('build alert rules only from defined metrics, with SRE-workbook burn windows', () => {
    const rules = alertRuleGroups().groups.flatMap((g) => g.rules as { alert?: string; expr: string }[]);
    for (const r of rules)
      for (const n of metricNames(r.expr)) expect(n.includes(':') ? recorded : exported).toContain(n);
    const burn = rules.filter((r) => r.alert?.startsWith('ImspecAckLatencyBudgetBurn'));
    expect(burn.map((r) => r.expr)).toEqual([
      expect.stringMatching(/ratio_rate1h > \(14\.4 \* 0\.001\) and .*ratio_rate5m > \(14\.4 \* 0\.001\)/),
      expect.stringMatching(/ratio_rate6h > \(6 \* 0\.001\) and .*ratio_rate30m > \(6 \* 0\.001\)/),
    ]);
    expect(() => alertRuleGroups({ sloThresholdSeconds: 0.3 })).toThrow(/not a bucket bound/);
  });
});
