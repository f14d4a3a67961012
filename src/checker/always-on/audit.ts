/**
 * The always-on audit: for every MUST and SHOULD id of docs/protocol.md, whether the checker
 * judges it on every history (and where), only a dedicated case can (and why), or no history can.
 * docs/always-on.md is rendered from this table (`npm run always-on`); a test keeps the two, and
 * this table and docs/protocol.md, in step.
 */

import { REQUIREMENTS } from '../../protocol/requirements.js';
import { ALWAYS_ON_RULES } from './index.js';

export type Judged =
  /** Judged on every history by the case checker (`where`: its file) or an always-on rule. */
  | { how: 'always'; where: string; note?: string }
  /** Needs a stimulus ordinary traffic never makes: only its dedicated case judges it. */
  | { how: 'case'; why: string }
  /** No history of frames and bot events can show it. */
  | { how: 'never'; why: string };

const checker = (file: string, note?: string): Judged =>
  note === undefined
    ? { how: 'always', where: `checker/${file}` }
    : { how: 'always', where: `checker/${file}`, note };
const rule = (name: string, note?: string): Judged =>
  note === undefined
    ? { how: 'always', where: `rule ${name}` }
    : { how: 'always', where: `rule ${name}`, note };
const caseOnly = (why: string): Judged => ({ how: 'case', why });

export const AUDIT: Record<string, Judged> = {
  'FRAME-1': checker(
    'scan.ts',
    'an inbound text that is not one JSON object is undecodable: reported as FRAME-4',
  ),
  'FRAME-2': caseOnly('needs invalid UTF-8 or non-JSON input, which bots never send (malformed-input)'),
  'FRAME-3': caseOnly('needs schema-invalid requests, which bots never send (malformed-input)'),
  'FRAME-4': checker('scan.ts'),
  'FRAME-5': caseOnly('needs an oversize or binary message (malformed-input)'),
  'FRAME-6': caseOnly('needs a body over limits.maxBodyBytes, which bots never send (malformed-input)'),
  'FRAME-7': checker('scan.ts'),
  'FRAME-8': caseOnly('needs hostile input and a second connection that must keep being served'),
  'RID-1': checker('requests.ts'),
  'RID-2': checker('requests.ts'),
  'AUTH-1': caseOnly('needs requests before hello, which bots never send (auth)'),
  'AUTH-2': caseOnly('needs a wrong token (auth)'),
  'AUTH-3': checker('cursors.ts', 'members by the schema (FRAME-4), pending and maxSeq by HELLO-1'),
  'AUTH-4': caseOnly('needs a socket that never says hello (hello-timeout)'),
  'AUTH-5': caseOnly('needs a second hello on one connection (auth)'),
  'AUTH-6': caseOnly('needs a second session of one device and the old one left open (session-replaced)'),
  'HELLO-1': checker('cursors.ts'),
  'HELLO-2': caseOnly(
    'the cursor a lastSeq moves is only visible in a later hello of the same device (lastseq-implies-ack)',
  ),
  'NEWDEV-1': caseOnly(
    'needs a device the server has never seen, with history waiting (new-device-backward)',
  ),
  'MDEV-1': checker('cursors.ts'),
  'MSG-1': checker('verdicts.ts', 'judged whenever the history has a kill -9 after msg:A'),
  'MSG-2': rule('smid-identity'),
  'DEDUP-1': checker('verdicts.ts'),
  'DEDUP-2': checker('messages.ts'),
  'DEDUP-3': checker('verdicts.ts'),
  'DEDUP-4': caseOnly(
    'needs a duplicate cmid with another body or receiver, which bots never send (dedup-first-write-wins)',
  ),
  'DEDUP-5': rule('advertised-limits', 'the 24 h floor from hello:A; surviving a restart is DUR-3'),
  'SEQ-1': checker('verdicts.ts'),
  'SEQ-2': checker('messages.ts'),
  'SEQ-3': rule(
    'body-integrity',
    'smid, seq, cmid and from by checker/messages.ts; the body against what was sent',
  ),
  'SEQ-4': rule('push-chain'),
  'ORDER-1': checker('order.ts'),
  'ORDER-2': checker('order.ts'),
  'PUSH-1': checker('verdicts.ts'),
  'PUSH-2': rule('push-after-ack'),
  'PUSH-3': rule('push-addressee', 'pushes, re-pushes and sync page items'),
  'REPUSH-1': checker('repush.ts'),
  'REPUSH-2': caseOnly(
    'a missing backlog push is told from a late one only by a case that waits with no sync (cut-between-accept-and-push)',
  ),
  'REPUSH-3': rule('push-chain'),
  'ACK-1': checker('cursors.ts'),
  'ACK-2': caseOnly('needs an ack above maxSeq, which bots never send (ack-rules)'),
  'ACK-3': caseOnly('durability of the cursor shows only across a kill -9 (cursor-durable; then DUR-2)'),
  'ACK-4': checker('cursors.ts'),
  'RCPT-1': checker('verdicts.ts'),
  'RCPT-2': checker(
    'verdicts.ts',
    'the missing receipt; rule receipt-addressee: receipts reach only the sender',
  ),
  'RCPT-3': checker('messages.ts'),
  'OFF-1': checker('verdicts.ts'),
  'SYNC-1': checker('pages.ts'),
  'SYNC-2': checker('pages.ts'),
  'SYNC-3': checker('cursors.ts'),
  'SYNC-4': checker('pages.ts'),
  'SYNC-5': checker('pages.ts', 'the page size; bad-sync needs a malformed sync:R (sync-rules)'),
  'SYNC-6': caseOnly(
    'whether a device is live is server state: only a case that sends during catch-up shows it (reconnect-sync-250)',
  ),
  'PING-1': caseOnly('bots send ping:R only when idle; probes check the answer (malformed-input)'),
  'SHUT-1': caseOnly('needs a graceful stop of the target (graceful-shutdown)'),
  'DUR-1': checker('verdicts.ts', 'judged whenever the history has a kill -9'),
  'DUR-2': checker('cursors.ts', 'judged whenever the history has a restart'),
  'DUR-3': checker('verdicts.ts', 'judged whenever the history has a restart'),
};

/**
 * Where each rule is shown to fail through the whole pipeline: a reference-server fault
 * (`imspec serve --fault`) and the core case that catches it (docs/kill-matrix.md re-proves it).
 */
const CAUGHT: Record<string, string> = {
  'body-integrity': '`--fault truncate-body` and `--fault bmp-only` fail burst-exactly-once',
  'smid-identity': '`--fault dedup-by-cmid` fails per-sender-order, `--fault smid-restart` durability-kill-9',
  'push-after-ack': '`--fault repush-acked` warns per-sender-order',
  'receipt-addressee': '`--fault receipt-to-newest-sender` fails per-sender-order',
  'push-addressee':
    '`--fault push-by-device-name` fails happy-six-frames and every core case with two users online on devices of one name',
  'push-chain':
    '`--fault repush-attempt-1` fails per-sender-order and lost-push-repush (REPUSH-3 beside the ORDER-2 of checker/order.ts)',
  'advertised-limits': '`--fault short-dedup-window` warns every case that says hello (and dedup-window)',
};

/** The MUST and SHOULD ids (MAY ids are never findings). */
export function auditedIds(): string[] {
  return REQUIREMENTS.filter((r) => r.level !== 'MAY').map((r) => r.id);
}

/** docs/always-on.md. */
export function renderAudit(): string {
  const counts = { always: 0, case: 0, never: 0 };
  const rows = auditedIds().map((id) => {
    const j = AUDIT[id];
    if (j === undefined) return `| ${id} | **not audited** | |`;
    counts[j.how]++;
    const level = REQUIREMENTS.find((r) => r.id === id)!.level;
    if (j.how === 'always') return `| ${id} | ${level} | always-on: \`${j.where}\` | ${j.note ?? ''} |`;
    return `| ${id} | ${level} | ${j.how === 'case' ? 'dedicated case only' : 'not judgeable from a history'} | ${j.why} |`;
  });
  const rules = ALWAYS_ON_RULES.map(
    (r) =>
      `- \`${r.name}\` (${r.requirements.join(', ')}): \`src/checker/always-on/${r.name}.ts\`${
        CAUGHT[r.name] === undefined ? '' : `; ${CAUGHT[r.name]}`
      }`,
  );
  return [
    '# Always-on rules',
    '',
    'Which requirements of [protocol.md](protocol.md) the checker judges on **every** history — every',
    'case of `imspec run`, every passive `imspec check` of a capture, every `imspec load` run (its',
    'streaming ledger), every `imspec explore` case and every `imspec monitor` cycle (its canaries;',
    'findings in `imspec_findings_total`) — and which only a dedicated case can judge, with the',
    'reason. Generated from',
    '`src/checker/always-on/audit.ts` by `npm run always-on`; a test fails when this file, the audit or',
    'protocol.md disagree.',
    '',
    `${counts.always} always-on, ${counts.case} dedicated case only, ${counts.never} not judgeable from a history.`,
    '',
    '| id | level | judged | note |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    '## The always-on rules',
    '',
    "Small pure modules fed the history one event at a time. They are one entry of the checker's rule",
    'list (`src/checker/rules.ts`, adapted in `src/checker/always-on/engine-rule.ts`), so the case',
    'checker and the streaming ledger run them in the same single pass as every other rule, and their',
    'findings go through the same sink: a requirement tagged with a capability the target does not',
    'claim is not judged, and levels come from protocol.md. Each rule declares the events it reads',
    '(frame types or event kinds) and is handed only those. What a rule keeps per message sits in',
    'columns of one shared message index (`src/checker/always-on/message-index.ts`: one slot per',
    '(sender, cmid) and per smid, whichever rules read it), so a message costs one map entry per key,',
    'not one per rule; what it keeps per connection or inbox is its own. A streaming ledger tells the',
    'index and the rules to forget what belongs to the messages it retires, and a forgotten message',
    'is never read as a missing one. Each rule has literal-history tests',
    '(`test/checker/always-on.test.ts`, through the engine in `test/checker/always-on-engine.test.ts`,',
    'all rules over one index in `test/checker/always-on-index.test.ts`);',
    'the [kill matrix](kill-matrix.md) shows the reference-server faults the core cases catch with them.',
    '',
    ...rules,
    '',
  ].join('\n');
}
