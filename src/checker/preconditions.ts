/**
 * Preconditions (a scenario's `preconditions:`, and those its expectations imply): did what the
 * case set up to judge its rule happen at all? A case whose sender never got a message accepted,
 * or whose messages were all accepted while the receiver was still online, has tested nothing of
 * offline storage: it must say so (INCONCLUSIVE) rather than pass. Not a finding against the
 * server; judged from the ledger the end passes built.
 */

import type { Precondition } from '../scenarios/types.js';
import type { Scan } from './context.js';
import { msgCmid } from './msg-reads.js';
import { OFFLINE_AT_ACCEPT, SENT } from './tables.js';
import type { UnmetPrecondition } from './types.js';

/** Evidence kept per unmet precondition: enough to show the pattern in a wire log. */
const MAX_EVIDENCE = 6;

export function judgePreconditions(s: Scan, preconditions: readonly Precondition[]): UnmetPrecondition[] {
  const out: UnmetPrecondition[] = [];
  for (const p of preconditions) {
    const unmet = p.kind === 'accepted' ? accepted(s, p) : acceptedOffline(s, p);
    if (unmet) out.push(unmet);
  }
  return out;
}

function name(p: Precondition): string {
  return p.from === 'preconditions' ? p.kind : `${p.kind} (from ${p.from})`;
}

function accepted(s: Scan, p: Precondition): UnmetPrecondition | undefined {
  const t = s.l.msgs;
  let sent = 0;
  let ok = 0;
  const evidence: number[] = [];
  const missing: string[] = [];
  for (let m = 0; m < t.size; m++) {
    if (!t.has(m, SENT)) continue;
    sent++;
    // Accepted as far as anyone can tell: its msg:A came, or (that msg:A lost) a receipt or a
    // receiver's commit shows the server took it.
    if (t.acceptIdx.get(m) >= 0 || t.firstRcptIdx(m) >= 0 || t.delivered(m)) ok++;
    else if (evidence.length < MAX_EVIDENCE) {
      evidence.push(t.sendIdx(m));
      missing.push(msgCmid(s.l, m) ?? '?');
    }
  }
  const wanted = p.atLeast === 'all' ? sent : p.atLeast;
  if (ok >= wanted) return undefined;
  return {
    precondition: name(p),
    expected:
      p.atLeast === 'all'
        ? 'every message sent accepted (msg:A, a receipt or a commit)'
        : `at least ${wanted} messages accepted`,
    actual: `${ok} of ${sent} accepted${missing.length > 0 ? `; never accepted: cmid ${missing.join(', ')}${sent - ok > missing.length ? ', …' : ''}` : ''}`,
    evidence,
  };
}

function acceptedOffline(s: Scan, p: Precondition): UnmetPrecondition | undefined {
  const t = s.l.msgs;
  let acceptedCount = 0;
  let offline = 0;
  const evidence: number[] = [];
  for (let m = 0; m < t.size; m++) {
    if (t.acceptIdx.get(m) < 0) continue;
    acceptedCount++;
    if (t.has(m, OFFLINE_AT_ACCEPT)) offline++;
    else if (evidence.length < MAX_EVIDENCE) evidence.push(t.acceptIdx.get(m));
  }
  const wanted = p.atLeast === 'all' ? Math.max(1, acceptedCount) : p.atLeast;
  if (offline >= wanted) return undefined;
  return {
    precondition: name(p),
    expected:
      p.atLeast === 'all'
        ? 'every accepted message accepted while its receiver had no device connected (stored offline)'
        : `at least ${wanted} message${wanted === 1 ? '' : 's'} accepted while the receiver had no device connected (stored offline)`,
    actual:
      `${offline} of ${acceptedCount} accepted messages were` +
      (offline < acceptedCount
        ? `; for the others the receiver was still connected (or had left less than ${s.settleMs} ms before)`
        : ''),
    evidence,
  };
}
