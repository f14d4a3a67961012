/**
 * Grafana annotations shared by the imspec dashboards: fault windows (what the fault proxies and
 * misbehaving bots injected) and target kills and restarts, drawn over every time series so a
 * retransmit spike or a loss lines up with the fault that caused it.
 */

import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { FAULT_ACTIONS } from '../metrics/definitions.js';
import { name, RATE_WINDOW, sel } from './promql.js';
import { DATASOURCE } from './variables.js';

/** The runner acting on the target process, as imspec_faults_injected_total labels it. */
const TARGET_ACTIONS = ['kill', 'term', 'restart', 'pause'];
const INJECTED = FAULT_ACTIONS.filter((a) => !TARGET_ACTIONS.includes(a));

function faultAnnotation(title: string, color: string, actions: readonly string[], what: string) {
  return new dashboard.AnnotationQueryBuilder()
    .name(title)
    .datasource(DATASOURCE)
    .enable(true)
    .iconColor(color)
    .expr(
      `sum by (scenario, fault) (increase(${name('faultsInjected')}${sel({}, { fault: actions.join('|') })}[${RATE_WINDOW}])) > 0`,
    )
    .titleFormat(`${what}: {{fault}}`)
    .textFormat('{{scenario}}')
    .tagKeys('fault,scenario');
}

export function annotations(): cog.Builder<dashboard.AnnotationQuery>[] {
  return [
    faultAnnotation('Faults injected', 'orange', INJECTED, 'fault'),
    faultAnnotation('Target kills and restarts', 'red', TARGET_ACTIONS, 'target'),
  ];
}
