/**
 * Template variables shared by every imspec dashboard: the Prometheus data source, the job(s)
 * (a CI run's Pushgateway job, `imspec-monitor`, a load run), and the scenario(s).
 */

import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { METRICS } from '../metrics/definitions.js';

/** Panels and queries point at the `$datasource` variable, so importing asks for nothing. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template.
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

export function variables(): cog.Builder<dashboard.VariableModel>[] {
  const frames = METRICS.frames.name;
  return [
    new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'),
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
    new dashboard.QueryVariableBuilder('scenario')
      .label('Scenario')
      .datasource(DATASOURCE)
      .query(`label_values(${frames}{job=~"$job"}, scenario)`)
      .definition(`label_values(${frames}{job=~"$job"}, scenario)`)
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      .allValue('.*'),
  ];
}
