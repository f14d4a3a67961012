/**
 * Operations → scenario YAML text, which goes through the normal loader like any hand-written
 * case: a generated case is checked by the same schema and semantics, and the file explore
 * writes is the reproducer itself (`imspec run it.yaml`).
 *
 * Rendering is where a schedule becomes well-formed. Shrinking removes operations freely, so an
 * operation that lost its meaning (a send from a device no longer connected, a second connect)
 * is dropped here rather than made an error; the users declared are only those still named; and
 * every case ends the same way — misbehaving devices behave, every device comes back, and the
 * case waits until every message settled — so the checker judges a history whose every accepted
 * message had its chance to arrive.
 */

import { Document, isMap, isSeq } from 'yaml';
import type { ExploreConfig } from './config.js';
import type { GeneratedCase } from './generate.js';
import { type BotRef, type Operation, userOf } from './operations.js';

export interface RenderedCase {
  text: string;
  /** Operations kept (those the state made meaningful). */
  operations: Operation[];
  /** Steps in the scenario, closing steps included. */
  steps: number;
  /** Messages the scenario sends. */
  messages: number;
}

export interface RenderMeta {
  id: string;
  title: string;
  /** Comment lines put on top of the file (how it was found, how to replay it). */
  comment: readonly string[];
}

export function renderCase(
  generated: GeneratedCase,
  config: Readonly<ExploreConfig>,
  meta: RenderMeta,
): RenderedCase {
  const online = new Set<BotRef>();
  // Devices whose session is known to be up: a kill -9 drops every session, and a device comes
  // back on its own after some backoff, so a page right after it would find no session (a kit
  // ERROR, not a finding) unless the device logged in again explicitly.
  const sessionUp = new Set<BotRef>();
  const misbehaving = new Set<BotRef>();
  // A device's first login in the case is plain: it has no state to keep, forget or leave to the
  // server, and a reinstall (`state: none`) before it ever logged in would owe it nothing.
  const loggedIn = new Set<BotRef>();
  let reinstall = false;
  let probeWaitMs = 0;
  // A paced send (`rate`) takes count/rate seconds however fast the server is: 400 messages at 20
  // per second are 20 s of a 30 s case. The deadline makes room for that, so a case does not end
  // as a kit ERROR while its own pacing eats the settle wait (seen: 378 at 24/s, in a 20 s case).
  let pacedSendMs = 0;
  const kept: Operation[] = [];
  const steps: unknown[] = [];
  const keep = (op: Operation, step: unknown) => {
    kept.push(op);
    steps.push(step);
  };
  for (const op of generated.operations) {
    switch (op.op) {
      case 'connect': {
        if (online.has(op.bot)) break;
        online.add(op.bot);
        sessionUp.add(op.bot);
        const state = loggedIn.has(op.bot) ? op.state : 'keep';
        loggedIn.add(op.bot);
        reinstall ||= state === 'none';
        keep({ ...op, state }, { connect: state === 'keep' ? op.bot : { bots: op.bot, state } });
        break;
      }
      case 'disconnect':
        if (!online.delete(op.bot)) break;
        keep(op, { disconnect: op.mode === 'clean' ? op.bot : { bots: op.bot, mode: op.mode } });
        break;
      case 'send': {
        if (!online.has(op.from)) break;
        const send: Record<string, unknown> = { from: op.from, to: op.to, count: op.count, size: op.size };
        if (op.text === 'unicode') send['text'] = 'unicode';
        if (op.cmids !== undefined) send['cmids'] = op.cmids;
        if (op.rate > 0) {
          send['rate'] = op.rate;
          pacedSendMs += Math.ceil((op.count / op.rate) * 1000);
        }
        if (op.await !== undefined) send['await'] = op.await;
        keep(op, { send });
        break;
      }
      case 'page':
        if (!online.has(op.bot) || !sessionUp.has(op.bot)) break;
        keep(op, { page: { bot: op.bot, direction: op.direction, limit: op.limit } });
        break;
      case 'misbehave': {
        // Kept on a device already misbehaving too: a misbehave step adds its rule to those the
        // device already breaks (until a behave), so a catch-up's crash in sync still lands on a
        // device an earlier operation put on delayed acks (dropped, the case fell back to a timed
        // crash, which a fast catch-up outruns).
        misbehaving.add(op.bot);
        const how = op.withholdAcks
          ? { withholdAcks: true }
          : op.crashInSync !== undefined
            ? { crashInSync: op.crashInSync }
            : { delayAcks: `${op.delayAcksMs}ms` };
        keep(op, { misbehave: { bots: op.bot, ...how } });
        break;
      }
      case 'behave':
        if (!misbehaving.delete(op.bot)) break;
        keep(op, { behave: op.bot });
        break;
      case 'wait':
        keep(op, { wait: op.after === 'repushMs' ? `limits.repushMs + ${op.ms}ms` : `${op.ms}ms` });
        break;
      case 'badLogin':
        keep(op, {
          probe: {
            user: userOf(op.bot),
            login: 'wrong',
            requirement: 'AUTH-2',
            exchange: [
              { expect: { type: 'error:A', code: 'auth-failed' } },
              { expect: { type: 'close', closeCode: 4401 } },
            ],
          },
        });
        break;
      case 'silentSocket':
        // The probe waits the advertised hello timeout plus 2 s: the case deadline makes room.
        probeWaitMs += op.helloTimeoutMs + 2_000;
        keep(op, {
          probe: {
            user: userOf(op.bot),
            login: 'none',
            requirement: 'AUTH-4',
            exchange: [{ expect: { type: 'close', closeCode: 4408 }, timeout: 'limits.helloTimeoutMs' }],
          },
        });
        break;
      case 'kill':
        sessionUp.clear();
        keep(op, { target: 'kill' });
        break;
    }
  }
  const users = declaredUsers(kept, generated.users);
  const everyBot = Object.entries(users).flatMap(([u, ds]) => ds.map((d) => `${u}/${d}`));
  // The closing steps: every device back and well-behaved, then wait until all settled.
  if (misbehaving.size) steps.push({ behave: [...misbehaving] });
  const away = everyBot.filter((b) => !online.has(b));
  if (away.length) steps.push({ connect: away });
  const settleMs = Math.max(5_000, config.caseTimeoutMs - 5_000);
  steps.push({ waitFor: { condition: 'settled', timeout: `${settleMs}ms` } });

  const scenario = {
    id: meta.id,
    title: meta.title,
    // Lost and duplicated frames: retransmission with dedup, and re-push, must recover.
    covers: [...coversOf(kept, users), ...(generated.faults?.length ? ['DEDUP-3', 'REPUSH-1'] : [])],
    severity: 'MUST',
    ...(requiresOf(kept, users).length ? { requires: requiresOf(kept, users) } : {}),
    timeout: `${config.caseTimeoutMs + probeWaitMs + pacedSendMs}ms`,
    ...(generated.pageSize !== undefined ? { client: { pageSize: generated.pageSize } } : {}),
    ...(generated.faults?.length
      ? {
          faults: generated.faults.map((f) => ({
            id: `${f.action}-${f.match.op}-${f.match.kind}`,
            match: f.match,
            probability: f.probability,
            action: f.action,
          })),
        }
      : {}),
    users: Object.fromEntries(Object.entries(users).map(([u, ds]) => [u, ds.length === 1 ? ds[0]! : ds])),
    steps,
    // A kill -9 or a crashed sender may swallow a send whole: that is not the server's fault,
    // so explore does not require every send accepted (a precondition that would make such a
    // case INCONCLUSIVE); whatever was accepted must still arrive exactly once.
    //
    // Every receiver comes back in the closing steps, so on a target that claims delivered
    // receipts every accepted message is owed one (RCPT-2) — unless a device was reinstalled
    // (`state: none`): a new device is owed only the newest messages, so an older one may never
    // be acked. A kill -9 does not change that: a receipt due while the sender's connection went
    // down with the server is recovered by retransmitting (DEDUP-3) while the sender has only
    // msg:A, and the waits stop holding out for one owed to a connection that is gone once the
    // sender has only a stored receipt. Stand-in receipts for offline receivers are judged in any
    // case (RCPT-1).
    expect: {
      allAccepted: false,
      receipt: generated.receipt === 'delivered' && !reinstall ? 'delivered' : 'any',
    },
  };
  const doc = new Document(scenario);
  // One line per step and per user, as the hand-written suites write them.
  const stepsNode = doc.get('steps', true);
  if (isSeq(stepsNode)) {
    for (const item of stepsNode.items) {
      if (!isMap(item)) continue;
      const value = item.items[0]?.value;
      if (isMap(value) || isSeq(value)) value.flow = true;
    }
  }
  const faultsNode = doc.get('faults', true);
  if (isSeq(faultsNode)) for (const item of faultsNode.items) if (isMap(item)) item.flow = true;
  for (const key of ['covers', 'requires']) {
    const node = doc.get(key, true);
    if (isSeq(node)) node.flow = true;
  }
  const usersNode = doc.get('users', true);
  if (isMap(usersNode)) for (const pair of usersNode.items) if (isSeq(pair.value)) pair.value.flow = true;
  doc.commentBefore = meta.comment.map((l) => ` ${l}`).join('\n');
  const messages = kept.reduce((n, op) => n + (op.op === 'send' ? op.count : 0), 0);
  return { text: doc.toString({ lineWidth: 0 }), operations: kept, steps: steps.length, messages };
}

/** Users named by the kept operations, each with the devices named (d1 for a receiver only). */
function declaredUsers(ops: readonly Operation[], all: Record<string, string[]>): Record<string, string[]> {
  const devices = new Map<string, Set<string>>();
  const add = (user: string, device?: string) => {
    const set = devices.get(user) ?? new Set<string>();
    if (device !== undefined) set.add(device);
    devices.set(user, set);
  };
  for (const op of ops) {
    if (op.op === 'send') {
      add(userOf(op.from), op.from.split('/')[1]);
      add(op.to);
    } else if (op.op === 'badLogin' || op.op === 'silentSocket') {
      // A probe speaks as a device of its own: the user is named, none of its devices.
      add(userOf(op.bot));
    } else if ('bot' in op) {
      add(userOf(op.bot), op.bot.split('/')[1]);
    }
  }
  // In the generated order, so u1 comes before u2 and d1 before d2.
  const out: Record<string, string[]> = {};
  for (const [user, ds] of Object.entries(all)) {
    const named = devices.get(user);
    if (!named) continue;
    out[user] = named.size ? ds.filter((d) => named.has(d)) : [ds[0]!];
  }
  return out;
}

function coversOf(ops: readonly Operation[], users: Record<string, string[]>): string[] {
  const covers = new Set(['PUSH-1', 'SEQ-1', 'SEQ-3']);
  for (const op of ops) {
    if (op.op === 'send' && op.cmids !== undefined) covers.add('DEDUP-1').add('MSG-2');
    if (op.op === 'disconnect') covers.add('OFF-1');
    if (op.op === 'page') covers.add('SYNC-1');
    if (op.op === 'kill') covers.add('DUR-1');
    if (op.op === 'badLogin') covers.add('AUTH-2');
    if (op.op === 'silentSocket') covers.add('AUTH-4');
  }
  if (Object.values(users).some((ds) => ds.length > 1)) covers.add('MDEV-1');
  return [...covers];
}

function requiresOf(ops: readonly Operation[], users: Record<string, string[]>): string[] {
  const caps = new Set<string>();
  if (Object.values(users).some((ds) => ds.length > 1)) caps.add('multi-device');
  for (const op of ops) {
    if (op.op !== 'page') continue;
    caps.add('paged-sync');
    if (op.direction === 'backward') caps.add('backward-sync');
  }
  return [...caps];
}
