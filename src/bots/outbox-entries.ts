/**
 * The outbox's entries by cmid. A case bot keeps every message of the case (the runner's
 * conditions read them), so this map grows to the case's message count, and a Map of 100k
 * string keys cost about a microsecond per set and per lookup on the bots bench (table growth,
 * cache misses, hashing the fresh cmid string of every msg:A and ack:N). The cmids the bot makes
 * itself are `prefix.n`, n counting from 1 in base 36, so they sit in an array at n − 1 and a
 * lookup reads n back from the string. The first cmid a caller chooses moves everything into a
 * Map; iteration follows insertion order either way.
 */

import type { OutboxEntry } from './types.js';

/** What the bot's state shows of the outbox: a read-only map by cmid, in insertion order. */
export interface OutboxView {
  readonly size: number;
  get(cmid: string): Readonly<OutboxEntry> | undefined;
  has(cmid: string): boolean;
  values(): IterableIterator<Readonly<OutboxEntry>>;
}

export class OutboxEntries implements OutboxView {
  /** `prefix.`: every generated cmid starts with it. */
  private readonly dot: string;
  /** Entries by generated number − 1, while every cmid so far was generated; then undefined. */
  private list: OutboxEntry[] | undefined = [];
  private map: Map<string, OutboxEntry> | undefined;
  private generated = 0;
  /** The last cmid handed out by `nextCmid`, until it is set. */
  private expected: string | undefined;

  constructor(prefix: string) {
    this.dot = `${prefix}.`;
  }

  get size(): number {
    return this.list !== undefined ? this.list.length : (this.map as Map<string, OutboxEntry>).size;
  }

  /** A cmid no message in the outbox has, for the next message. */
  nextCmid(): string {
    let id: string;
    do id = `${this.dot}${(++this.generated).toString(36)}`;
    while (this.map?.has(id));
    this.expected = id;
    return id;
  }

  set(cmid: string, entry: OutboxEntry): void {
    const list = this.list;
    if (list !== undefined && cmid === this.expected && this.generated === list.length + 1) {
      list.push(entry);
    } else {
      this.asMap().set(cmid, entry);
    }
    this.expected = undefined;
  }

  get(cmid: string): OutboxEntry | undefined {
    const list = this.list;
    if (list === undefined) return (this.map as Map<string, OutboxEntry>).get(cmid);
    const dot = this.dot;
    if (cmid.length <= dot.length || !cmid.startsWith(dot)) return undefined;
    let n = 0;
    for (let i = dot.length; i < cmid.length; i++) {
      const c = cmid.charCodeAt(i);
      const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 122 ? c - 87 : -1;
      if (digit < 0) return undefined;
      n = n * 36 + digit;
      if (n > list.length) return undefined;
    }
    const entry = list[n - 1];
    // "prefix.01" reads as 1 too: only the exact string names the entry.
    return entry !== undefined && entry.cmid === cmid ? entry : undefined;
  }

  has(cmid: string): boolean {
    return this.get(cmid) !== undefined;
  }

  values(): IterableIterator<OutboxEntry> {
    return this.list !== undefined ? this.list.values() : (this.map as Map<string, OutboxEntry>).values();
  }

  private asMap(): Map<string, OutboxEntry> {
    if (this.map === undefined) {
      this.map = new Map();
      for (const entry of this.list ?? []) this.map.set(entry.cmid, entry);
      this.list = undefined;
    }
    return this.map;
  }
}
