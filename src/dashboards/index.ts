/**
 * The Grafana dashboards imspec ships, as data. `scripts/dashboards.ts` (`npm run dashboards`)
 * writes them into dashboards/; test/dashboards checks the committed files match and evaluates
 * every panel expression against a real Prometheus.
 */

import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { renderAlertRules } from './alert-rules.js';
import { deliveryHealth } from './delivery-health.js';
import { faultRun } from './fault-run.js';

export const DASHBOARD_FILES = {
  'imspec-delivery-health.json': deliveryHealth,
  'imspec-fault-run.json': faultRun,
} as const;

export const ALERT_RULES_FILE = 'imspec-alerts.rules.yml';

/**
 * What Grafana's import dialog asks for (Dashboards → Import): a Prometheus data source, written
 * into every `${DS_PROMETHEUS}` of the file — the default of the `datasource` variable.
 */
export const IMPORT_INPUTS = [
  {
    name: 'DS_PROMETHEUS',
    label: 'Prometheus',
    description: 'The Prometheus that scrapes imspec (or its Pushgateway)',
    type: 'datasource',
    pluginId: 'prometheus',
    pluginName: 'Prometheus',
  },
] as const;

/**
 * Builds one dashboard with stable panel ids (1, 2, … in layout order, rows included) and the
 * import inputs first, where Grafana's export puts them.
 */
export function buildDashboard(make: () => dashboard.DashboardBuilder): dashboard.Dashboard {
  const built = make().build();
  let id = 0;
  for (const panel of built.panels ?? []) {
    panel.id = ++id;
    if ('panels' in panel) for (const inner of panel.panels ?? []) inner.id = ++id;
  }
  return { __inputs: IMPORT_INPUTS, ...built } as dashboard.Dashboard;
}

/** Every generated file under dashboards/: name → exact content. */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [file, make] of Object.entries(DASHBOARD_FILES)) {
    files.set(file, `${JSON.stringify(buildDashboard(make), null, 2)}\n`);
  }
  files.set(ALERT_RULES_FILE, renderAlertRules());
  return files;
}

export interface PanelExpression {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
  /** Grafana asks Prometheus for this query's exemplars too (/api/v1/query_exemplars). */
  exemplar: boolean;
}

/**
 * Every PromQL expression of every panel of a dashboard JSON (rows' nested panels included), and
 * of its annotations (panel `annotation: <name>`).
 */
export function panelExpressions(json: dashboard.Dashboard): PanelExpression[] {
  const out: PanelExpression[] = [];
  const visit = (panels: readonly (dashboard.Panel | dashboard.RowPanel)[]): void => {
    for (const p of panels) {
      if ('panels' in p && p.type === 'row') visit(p.panels ?? []);
      for (const t of ('targets' in p ? p.targets : undefined) ?? []) {
        const { expr, refId, exemplar } = t as { expr?: string; refId?: string; exemplar?: boolean };
        if (expr) {
          const panel = p.title ?? '';
          out.push({
            dashboard: json.title ?? '',
            panel,
            refId: refId ?? '',
            expr,
            exemplar: exemplar === true,
          });
        }
      }
    }
  };
  visit(json.panels ?? []);
  // Annotation queries run against Prometheus too (fault windows, restarts).
  for (const a of json.annotations?.list ?? []) {
    const expr = (a as { expr?: string }).expr;
    if (expr)
      out.push({
        dashboard: json.title ?? '',
        panel: `annotation: ${a.name}`,
        refId: 'annotation',
        expr,
        exemplar: false,
      });
  }
  return out;
}

/**
 * Replaces Grafana's template variables in a PromQL expression as Grafana would before sending
 * it: `$job`, `$scenario` (regexes, `.*` for All), `$__rate_interval`, `$__range`, `$__interval`.
 */
export function substituteVariables(expr: string, vars: Record<string, string>): string {
  return expr.replace(/\$(__[a-z_]+|[a-zA-Z_][a-zA-Z0-9_]*)/g, (whole, v: string) => vars[v] ?? whole);
}
