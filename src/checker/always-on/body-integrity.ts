/**
 * SEQ-3 (and DUR-1): a message keeps its body — every push and sync page carries exactly the body
 * its sender sent. Catches storage that cuts long bodies or mangles characters (a 3-byte utf8
 * column turning emoji into U+FFFD), which short ASCII bodies never reveal.
 */

import type { HistoryEvent, SendEvent } from '../../history/events.js';
import type { Column } from '../tables.js';
import { type MessageIndex, UNSET } from './message-index.js';
import { type AlwaysOnJudge, type AlwaysOnRule, type ReadEvent, type Report, str } from './types.js';

const MAX_SHOWN = 48;

function show(body: string): string {
  const bytes = Buffer.byteLength(body, 'utf8');
  const head = body.length > MAX_SHOWN ? `${body.slice(0, MAX_SHOWN)}…` : body;
  return `${JSON.stringify(head)} (${bytes} bytes)`;
}

/** A class, not closures made per run: its methods' optimized code outlives one check() (advertised-limits.ts). */
class BodyIntegrityJudge implements AlwaysOnJudge {
  // Per (sender user, cmid) of the shared index: the index of the send event (its body is read
  // back from it), as its ones' complement once its finding is made, so one mangled message is
  // one finding however often it is pushed or paged.
  private readonly sent: Column;

  constructor(
    private readonly report: Report,
    private readonly read: ReadEvent,
    private readonly index: MessageIndex,
  ) {
    this.sent = index.messages.column(UNSET);
  }

  event(e: HistoryEvent, i: number): void {
    if (e.kind === 'send') {
      const slot = this.index.messages.slot(this.index.users.of(e.actor), e.cmid, i);
      if (this.sent.get(slot) === UNSET) this.sent.set(slot, i);
      return;
    }
    if (e.kind !== 'frame' || e.dir !== 'in') return;
    if (e.type === 'msg:N') {
      this.look(e.fields, e.actor, 'msg:N', i);
    } else if (e.type === 'sync:A' && Array.isArray(e.fields['msgs'])) {
      for (const m of e.fields['msgs'] as unknown[]) {
        if (typeof m !== 'object' || m === null) continue;
        this.look(m as Record<string, unknown>, e.actor, 'sync:A item', i);
      }
    }
  }

  // Its state is the index's: forgotten with it.
  forget(): void {}

  // `r`: a push's fields or a page item; `actor` and `what` name where it came (built into a
  // string only for a finding).
  private look(r: Record<string, unknown>, actor: string, what: string, i: number): void {
    const from = r['from'];
    const cmid = r['cmid'];
    const body = r['body'];
    if (typeof from !== 'string' || typeof cmid !== 'string' || typeof body !== 'string') return;
    // A forgotten or never-seen send is not judged: only a body we know can be compared.
    const slot = this.index.findMessage(from, cmid, r['smid']);
    const v = slot < 0 ? UNSET : this.sent.get(slot);
    if (v < 0) return;
    const origin = this.read(v) as SendEvent;
    if (origin.body === body) return;
    this.sent.set(slot, ~v);
    this.report({
      kind: 'assertion',
      requirement: 'SEQ-3',
      expected: `the body ${from} sent: ${show(origin.body)}`,
      actual: `${actor} ${what} seq ${String(r['seq'])} carried ${show(body)}`,
      evidence: [v, i],
      cmid,
      smid: str(r['smid']),
    });
  }
}

export const bodyIntegrity: AlwaysOnRule = {
  name: 'body-integrity',
  requirements: ['SEQ-3'],
  reads: ['send', 'msg:N', 'sync:A'],
  start(report, read, index) {
    return new BodyIntegrityJudge(report, read, index);
  },
};
