/**
 * One load worker: its share of the population (whole groups, so its ledger is exact for its own
 * messages) and its slice of the arrivals. It connects its bots at the connect rate, runs the
 * open-model schedule from the common start, takes receivers offline on their schedule, feeds
 * every history event to the streaming ledger (and the metric table), and at the end drains what
 * is in flight and hands back counters, findings and serialised histograms.
 *
 * Runs in the coordinator's process (small runs, tests) or in a child process (worker-main.ts).
 */

import type { LedgerFactory, StreamLedger } from '../../checker/ledger-contract.js';
import type { Finding } from '../../checker/types.js';
import type { Driver } from '../../drivers/driver.js';
import { messageOf } from '../../errors.js';
import type { FaultRecord } from '../../faults/types.js';
import type { ImspecMetrics } from '../../metrics/registry.js';
import { hmacToken } from '../../protocol/auth.js';
import type { CaseFaults } from '../../runner/faults-setup.js';
import { DEFAULT_EXPECTATIONS } from '../../scenarios/defaults.js';
import { LoadBot, unreachableOf } from '../bot/load-bot.js';
import { AckBatcher, type LoadBotShared, RetransmitClock } from '../bot/shared.js';
import { type KitDelay, measureKitDelay } from '../kit-delay.js';
import { LatencyHistograms } from '../latency.js';
import { type GroupPlan, mix, offlineAt, offlinePlan, recipientOf } from '../population.js';
import { ArrivalSchedule, Dispatcher } from '../schedule.js';
import { openDrivers } from './drivers.js';
import { InFlight } from './in-flight.js';
import { LoadHistory } from './load-history.js';
import {
  noDrops,
  type ReadyInfo,
  type WorkerPlan,
  type WorkerResult,
  type WorkerSnapshot,
} from './messages.js';
import { Timers } from './timers.js';
import { workerMetrics } from './worker-metrics.js';

/** How often settled messages are judged and forgotten. */
const RETIRE_EVERY_MS = 1000;
/**
 * Logins one worker keeps open at most. The connect rate is the pace, this the brake: on a busy
 * target an open-loop storm of logins outgrows its accept queue and hello timeout, and failed
 * logins come back as reconnects — churn instead of bots (seen at 50,000 bots on two cores).
 */
const LOGINS_IN_FLIGHT = 512;
/** Longest sleep of the schedule loop: it also notices a stop request this often. */
const MAX_TICK_MS = 20;
/** Body filler; bodies are `<cmid>:` plus filler up to the profile's size, unique per message. */
const FILLER = 'x'.repeat(16_384);

interface Sender {
  bot: LoadBot;
  group: GroupPlan;
  user: string;
  /** Sends this sender was offered (picks the receiver with fanout). */
  count: number;
  everConnected: boolean;
}

export interface WorkerDeps {
  ledger: LedgerFactory;
  /** The metric table to feed (the coordinator's registry in-process, the worker's own in a child). */
  metrics?: ImspecMetrics;
}

export class WorkerRuntime {
  readonly history = new LoadHistory();
  readonly latency = new LatencyHistograms();
  private readonly ledger: StreamLedger;
  private readonly schedule: ArrivalSchedule;
  private readonly dispatcher: Dispatcher;
  private readonly clock = new RetransmitClock();
  private readonly acks: AckBatcher;
  private readonly bots: LoadBot[] = [];
  private readonly senders: Sender[] = [];
  private readonly senderOf = new Map<LoadBot, Sender>();
  private readonly offline: { bot: LoadBot; phaseMs: number }[] = [];
  private readonly faults: CaseFaults[] = [];
  private readonly timers = new Timers();
  private offered = 0;
  private readonly dropped = noDrops();
  private inWindow = 0;
  private connected = 0;
  private connectFailures = 0;
  private offlineDepartures = 0;
  private sendingStopped = false;
  private started = false;
  private finished: Promise<void> | undefined;
  private kitDelay: { stop(): KitDelay } | undefined;
  private resolveFinished: (() => void) | undefined;
  private metricsTick: (() => void) | undefined;
  /** Unsubscribes the ledger and the metrics listener from the history. */
  private readonly unfeed: (() => void)[] = [];
  private metricsFindings:
    | ((findings: readonly Pick<Finding, 'requirement' | 'level'>[]) => void)
    | undefined;

  constructor(
    readonly plan: WorkerPlan,
    deps: WorkerDeps,
  ) {
    const { profile } = plan;
    this.acks = new AckBatcher(profile.client.ackDelayMs);
    this.schedule = new ArrivalSchedule(profile.executor);
    this.dispatcher = new Dispatcher(this.schedule, plan.slice);
    const users: Record<string, string[]> = {};
    for (const g of plan.groups) {
      for (const d of g.devices) {
        users[d.user] ??= [];
        users[d.user]!.push(d.device);
      }
    }
    this.ledger = deps.ledger({
      expect: { ...DEFAULT_EXPECTATIONS },
      covers: [],
      users,
      caps: [...plan.caps],
      latency: this.latency,
    });
    this.unfeed.push(this.history.subscribe((e) => this.ledger.push(e)));
    if (deps.metrics && plan.metrics) {
      const m = workerMetrics(deps.metrics, plan.metrics, this.history, () => ({
        offered: this.offered,
        dropped: this.dropped,
        inWindow: this.inWindow,
        connected: this.connected,
        counters: this.ledger.counters(),
      }));
      this.metricsTick = m.tick;
      this.metricsFindings = m.findings;
      this.unfeed.push(m.unfeed);
    }
  }

  /** Starts the fault proxies and connects every bot at the connect rate. */
  async prepare(): Promise<ReadyInfo> {
    const started = performance.now();
    const { plan } = this;
    const drivers = await openDrivers(this.plan, this.history, this.faults);
    const common = {
      history: this.history,
      client: plan.profile.client,
      clock: this.clock,
      acks: this.acks,
      token: (user: string) => hmacToken(plan.secret, user),
      settled: () => {
        this.inWindow--;
      },
      connection: (bot: LoadBot, up: boolean) => {
        this.connected += up ? 1 : -1;
        const sender = up ? this.senderOf.get(bot) : undefined;
        if (sender) sender.everConnected = true;
      },
    };
    const shared = new Map<Driver, LoadBotShared>();
    const receivers: LoadBot[] = [];
    for (const group of plan.groups) {
      for (const d of group.devices) {
        const k = this.bots.length;
        const driver = drivers(group.index, k);
        let s = shared.get(driver);
        if (!s) {
          s = { ...common, driver };
          shared.set(driver, s);
        }
        const jitter = mix(plan.seed ^ 0x5eed, group.index * 1024 + k) / 2 ** 32;
        const bot = new LoadBot(s, d.user, d.device, jitter);
        this.bots.push(bot);
        if (d.receives) receivers.push(bot);
        if (d.sends) {
          const sender: Sender = { bot, group, user: d.user, count: 0, everConnected: false };
          this.senders.push(sender);
          this.senderOf.set(bot, sender);
        }
        if (d.receives && plan.profile.population.offline) {
          // Numbered over the whole run, so the offline plan does not depend on the worker count.
          const n = group.index * group.devices.length + group.devices.indexOf(d);
          const p = offlinePlan(plan.profile.population.offline, n, plan.seed);
          if (p.offline) this.offline.push({ bot, phaseMs: p.phaseMs });
        }
      }
    }
    let failed = 0;
    let connectError: string | undefined;
    const perBatch = Math.max(1, Math.round(plan.connectRate / 100));
    const pending: Promise<void>[] = [];
    const logins = new InFlight(LOGINS_IN_FLIGHT);
    for (let i = 0; i < this.bots.length; i += perBatch) {
      for (const bot of this.bots.slice(i, i + perBatch)) {
        await logins.enter();
        pending.push(
          bot.connect().then((ok) => {
            logins.leave();
            if (ok) return;
            failed++;
            connectError ??= messageOf(bot.connectError);
          }),
        );
      }
      // Pace to the connect rate: one batch per 10 ms.
      if (i + perBatch < this.bots.length) await sleep(10);
    }
    await Promise.all(pending);
    this.connectFailures = failed;
    return {
      index: plan.index,
      bots: this.bots.length,
      connected: this.connected,
      failed,
      sendersConnected: this.senders.filter((s) => s.everConnected).length,
      receiversConnected: receivers.filter((b) => b.connected).length,
      ...(connectError !== undefined ? { connectError } : {}),
      ms: performance.now() - started,
    };
  }

  /** Time 0 is `epochMs`: the schedule, fault windows and offline phases start there. */
  start(epochMs: number): void {
    if (this.started) return;
    this.started = true;
    this.kitDelay = measureKitDelay();
    this.history.startAt(epochMs);
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve;
    });
    this.timers.later(Math.max(0, -this.history.now()), () => this.tick());
    this.timers.every(RETIRE_EVERY_MS, () => this.ledger.retire(this.history.now()));
    const offline = this.plan.profile.population.offline;
    if (offline) for (const o of this.offline) this.flip(o.bot, o.phaseMs, offline);
  }

  /** Records an action the coordinator took on the target (kill -9, restart, …). */
  targetEvent(event: {
    action: 'kill' | 'term' | 'restart' | 'pause' | 'resume' | 'exited' | 'start';
    detail?: string;
  }): void {
    const e = { kind: 'target' as const, t: this.history.now(), action: event.action };
    this.history.append(event.detail === undefined ? e : { ...e, detail: event.detail });
  }

  /** Abort-on-fail: no more sends; what is in flight still settles and is judged. */
  stopSending(): void {
    this.sendingStopped = true;
    this.dispatcher.stop();
  }

  /**
   * Ends the worker at once (an error elsewhere, Ctrl-C): no bot reconnects and no timer is left
   * to keep the process alive.
   */
  abort(): void {
    this.stopSending();
    this.timers.clear();
    this.clock.clear();
    this.kitDelay?.stop();
    for (const b of this.bots) b.stop().catch(() => undefined);
    for (const f of this.faults) f.close().catch(() => undefined);
  }

  /** Sends queued in disconnected bots, never on the wire (a walk of the bots: once a snapshot). */
  private unsent(): number {
    return this.bots.reduce((n, b) => n + b.unsent, 0);
  }

  snapshot(): WorkerSnapshot {
    this.metricsTick?.();
    return {
      index: this.plan.index,
      t: this.history.now(),
      offered: this.offered,
      dropped: { ...this.dropped },
      window: this.inWindow,
      queued: this.unsent(),
      connected: this.connected,
      bots: this.bots.length,
      counters: this.ledger.counters(),
      p99: {
        msgA: this.latency.percentile('ack_latency.msg_a', 99),
        delivery: this.latency.percentile('delivery_latency', 99),
      },
      histograms: this.latency.encode(),
    };
  }

  /** Waits for the schedule to end, drains, judges and stops everything. */
  async finish(): Promise<WorkerResult> {
    if (!this.finished) throw new Error('worker not started');
    await this.finished;
    const { drainMs } = this.plan.profile;
    const endT = this.history.now();
    // Every device comes back for the drain: offline storage is synced, receipts arrive.
    this.timers.clear();
    await Promise.all(this.offline.map((o) => o.bot.connect()));
    const deadline = performance.now() + drainMs;
    while (performance.now() < deadline && (this.inWindow > 0 || this.ledger.counters().inFlight > 0)) {
      this.ledger.retire(this.history.now());
      await sleep(50);
    }
    // The ledger and the metric table stop at the same event: what a bot does while it stops
    // (a last retransmission, a push committed again) is in neither the report nor the metrics.
    for (const unfeed of this.unfeed) unfeed();
    // Sends still queued in a disconnected bot never reached the wire, so the ledger never saw
    // them: not sent, no unknown outcome — dropped, as a send that could not start (counted at
    // the same event the ledger stopped, so every offered send is sent or dropped exactly once).
    const unsent = this.unsent();
    this.dropped.disconnected += unsent;
    const unsettled = Math.max(this.inWindow - unsent, this.ledger.counters().inFlight);
    const judged = this.ledger.finish(this.history.now());
    // Bots that never got in failed on the stand-in clock of the connect phase.
    const failing = unreachableOf(this.bots);
    const unreachable = failing && { ...failing, since: this.history.onRunClock(failing.since) };
    await Promise.all(this.bots.map((b) => b.stop()));
    // Final values: the ledger's last verdicts and its findings, and no bot connected any more.
    this.metricsFindings?.(judged.findings);
    this.metricsTick?.();
    this.clock.clear();
    const kitDelay: KitDelay | undefined = this.kitDelay?.stop();
    const faultsInjected = this.faults.reduce((n, f) => n + f.events().filter(isPrimary).length, 0);
    await Promise.all(this.faults.map((f) => f.close()));
    return {
      index: this.plan.index,
      offered: this.offered,
      dropped: { ...this.dropped },
      counters: judged.stats,
      findings: judged.findings,
      histograms: this.latency.encode(),
      endT,
      unsettled,
      faultsInjected,
      offlineDepartures: this.offlineDepartures,
      bots: this.bots.length,
      connectFailures: this.connectFailures,
      ...(unreachable ? { unreachable } : {}),
      ...(kitDelay ? { kitDelay } : {}),
    };
  }

  // ── the schedule ────────────────────────────────────────────────────────────────────────

  private tick(): void {
    const now = this.history.now();
    if (!this.sendingStopped) this.dispatcher.due(now, this.take);
    if (this.dispatcher.done) {
      this.resolveFinished?.();
      return;
    }
    const wait = Math.min(MAX_TICK_MS, Math.max(1, this.dispatcher.nextTime() - this.history.now()));
    this.timers.later(wait, () => this.tick());
  }

  private readonly take = (global: number, local: number, scheduledT: number): void => {
    this.offered++;
    const n = this.senders.length;
    const sender = n === 0 ? undefined : this.senders[local % n]!;
    if (!sender?.everConnected) {
      this.dropped['no-bot']++;
      return;
    }
    if (sender.bot.inFlight >= this.plan.profile.window) {
      this.dropped.window++;
      return;
    }
    const to = recipientOf(sender.group, sender.user, sender.count++, global, this.plan.seed);
    this.inWindow++;
    const size = this.plan.profile.messageSize;
    const prefix = `${global.toString(36)}:`;
    sender.bot.send(to, prefix + FILLER.slice(0, Math.max(0, size - prefix.length)), scheduledT);
  };

  /** Takes a device offline and back on its schedule until the last send is due. */
  private flip(
    bot: LoadBot,
    phaseMs: number,
    schedule: NonNullable<WorkerPlan['profile']['population']['offline']>,
  ): void {
    const now = this.history.now();
    const state = offlineAt(schedule, phaseMs, Math.max(0, now));
    if (state.offline && bot.wantOnline) {
      this.offlineDepartures++;
      void bot.disconnect();
    }
    if (!state.offline && !bot.wantOnline) void bot.connect();
    if (state.untilMs >= this.schedule.durationMs) return;
    this.timers.later(state.untilMs - now, () => this.flip(bot, phaseMs, schedule));
  }
}

function isPrimary(e: FaultRecord): boolean {
  return e.cause === undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
