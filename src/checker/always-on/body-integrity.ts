/**
 * SEQ-3 (and DUR-1): a message keeps its body — every push and sync page carries exactly the body
 * its sender sent. Catches storage that cuts long bodies or mangles characters (a 3-byte utf8
 * column turning emoji into U+FFFD), which short ASCII bodies never reveal.
 */

import { type AlwaysOnRule, dropBorn, str, userOf } from './types.js';

const MAX_SHOWN = 48;

function show(body: string): string {
  const bytes = Buffer.byteLength(body, 'utf8');
  const head = body.length > MAX_SHOWN ? `${body.slice(0, MAX_SHOWN)}…` : body;
  return `${JSON.stringify(head)} (${bytes} bytes)`;
}

export const bodyIntegrity: AlwaysOnRule = {
  name: 'body-integrity',
  requirements: ['SEQ-3'],
  start(report) {
    // (sender user, cmid) → body and the event that sent it; `judged` once its finding is made,
    // so one mangled message is one finding however often it is pushed or paged.
    const sent = new Map<string, { body: string; idx: number; judged: boolean }>();
    const look = (from: unknown, cmid: unknown, body: unknown, smid: unknown, where: string, i: number) => {
      const f = str(from);
      const c = str(cmid);
      const b = str(body);
      if (f === undefined || c === undefined || b === undefined) return;
      // A forgotten or never-seen send is not judged: only a body we know can be compared.
      const origin = sent.get(`${f}\u0000${c}`);
      if (origin === undefined || origin.body === b || origin.judged) return;
      origin.judged = true;
      report({
        kind: 'assertion',
        requirement: 'SEQ-3',
        expected: `the body ${f} sent: ${show(origin.body)}`,
        actual: `${where} carried ${show(b)}`,
        evidence: [origin.idx, i],
        cmid: c,
        smid: str(smid),
      });
    };
    return {
      event(e, i) {
        if (e.kind === 'send') {
          const key = `${userOf(e.actor)}\u0000${e.cmid}`;
          if (!sent.has(key)) sent.set(key, { body: e.body, idx: i, judged: false });
          return;
        }
        if (e.kind !== 'frame' || e.dir !== 'in') return;
        if (e.type === 'msg:N') {
          const f = e.fields;
          look(f['from'], f['cmid'], f['body'], f['smid'], `${e.actor} msg:N seq ${String(f['seq'])}`, i);
        } else if (e.type === 'sync:A' && Array.isArray(e.fields['msgs'])) {
          for (const m of e.fields['msgs'] as unknown[]) {
            if (typeof m !== 'object' || m === null) continue;
            const r = m as Record<string, unknown>;
            look(
              r['from'],
              r['cmid'],
              r['body'],
              r['smid'],
              `${e.actor} sync:A item seq ${String(r['seq'])}`,
              i,
            );
          }
        }
      },
      forget(floor) {
        dropBorn(sent, floor);
      },
    };
  },
};
