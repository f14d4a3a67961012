/**
 * Template variables shared by every imspec dashboard: the Prometheus data source, the job(s)
 * (a CI run's Pushgateway job, `imspec-monitor`, a load run), the target(s) (the server: its
 * host:port, a --target-name, or `embedded`), the driver(s) (the target's protocol: ran, mqtt,
 * xmpp, …), the run(s) (`run_id`, stamped on pushed runs; All for scraped
 * ones, which carry none) and the scenario(s).
 */

import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { METRICS } from '../metrics/definitions.js';

/**
 * Panels and queries point at the `$datasource` variable. Its default is the import input
 * DS_PROMETHEUS (`__inputs`, see index.ts): Grafana's import dialog asks for a Prometheus data
 * source and writes it in; a provisioned file falls back to the default data source.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template.
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

export function variables(): cog.Builder<dashboard.VariableModel>[] {
  const frames = METRICS.frames.name;
  return [
    new dashboard.DatasourceVariableBuilder('datasource')
      .label('Data source')
      .type('prometheus')
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's import input, not a JS template.
      .current({ selected: true, text: '${DS_PROMETHEUS}', value: '${DS_PROMETHEUS}' }),
    new dashboard.QueryVariableBuilder('job')
      .label('Job')
      .datasource(DATASOURCE)
      .query(`label_values(${frames}, job)`)
      .definition(`label_values(${frames}, job)`)
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      .allValue('.*'),
    chained('target', 'Target', `${frames}{job=~"$job"}`),
    chained('driver', 'Driver', `${frames}{job=~"$job",target=~"$target"}`),
    chained('run_id', 'Run', `${frames}{job=~"$job",target=~"$target",driver=~"$driver"}`),
    chained(
      'scenario',
      'Scenario',
      `${frames}{job=~"$job",target=~"$target",driver=~"$driver",run_id=~"$run_id"}`,
    ),
  ];
}

/** A multi-value variable over one label of the series `selector`, "All" = `.*`. */
function chained(label: string, title: string, selector: string) {
  return new dashboard.QueryVariableBuilder(label)
    .label(title)
    .datasource(DATASOURCE)
    .query(`label_values(${selector}, ${label})`)
    .definition(`label_values(${selector}, ${label})`)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
}
