/**
 * SEQ-3 (and DUR-1): a message keeps its body — every push and sync page carries exactly the body
 * its sender sent. Catches storage that cuts long bodies or mangles characters (a 3-byte utf8
 * column turning emoji into U+FFFD), which short ASCII bodies never reveal.
 */

import type { SendEvent } from '../../history/events.js';
import { UNSET } from './message-index.js';
import { type AlwaysOnRule, str, UserNames } from './types.js';

const MAX_SHOWN = 48;

function show(body: string): string {
  const bytes = Buffer.byteLength(body, 'utf8');
  const head = body.length > MAX_SHOWN ? `${body.slice(0, MAX_SHOWN)}…` : body;
  return `${JSON.stringify(head)} (${bytes} bytes)`;
}

export const bodyIntegrity: AlwaysOnRule = {
  name: 'body-integrity',
  requirements: ['SEQ-3'],
  reads: ['send', 'msg:N', 'sync:A'],
  start(report, read, index) {
    // Per (sender user, cmid) of the shared index: the index of the send event (its body is read
    // back from it), as its ones' complement once its finding is made, so one mangled message is
    // one finding however often it is pushed or paged.
    const messages = index.messages;
    const sent = messages.column(UNSET);
    const users = new UserNames();
    // `r`: a push's fields or a page item; `actor` and `what` name where it came (built into a
    // string only for a finding).
    const look = (r: Record<string, unknown>, actor: string, what: string, i: number) => {
      const from = r['from'];
      const cmid = r['cmid'];
      const body = r['body'];
      if (typeof from !== 'string' || typeof cmid !== 'string' || typeof body !== 'string') return;
      // A forgotten or never-seen send is not judged: only a body we know can be compared.
      const slot = index.findMessage(from, cmid, r['smid']);
      const v = slot < 0 ? UNSET : sent.get(slot);
      if (v < 0) return;
      const origin = read(v) as SendEvent;
      if (origin.body === body) return;
      sent.set(slot, ~v);
      report({
        kind: 'assertion',
        requirement: 'SEQ-3',
        expected: `the body ${from} sent: ${show(origin.body)}`,
        actual: `${actor} ${what} seq ${String(r['seq'])} carried ${show(body)}`,
        evidence: [v, i],
        cmid,
        smid: str(r['smid']),
      });
    };
    return {
      event(e, i) {
        if (e.kind === 'send') {
          const slot = messages.slot(users.of(e.actor), e.cmid, i);
          if (sent.get(slot) === UNSET) sent.set(slot, i);
          return;
        }
        if (e.kind !== 'frame' || e.dir !== 'in') return;
        if (e.type === 'msg:N') {
          look(e.fields, e.actor, 'msg:N', i);
        } else if (e.type === 'sync:A' && Array.isArray(e.fields['msgs'])) {
          for (const m of e.fields['msgs'] as unknown[]) {
            if (typeof m !== 'object' || m === null) continue;
            look(m as Record<string, unknown>, e.actor, 'sync:A item', i);
          }
        }
      },
      // Its state is the index's: forgotten with it.
      forget() {},
    };
  },
};
