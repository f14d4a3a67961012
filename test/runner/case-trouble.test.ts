/**
 * Whose fault is an error that stopped a case: the server's (a crash, an account it lost in a
 * restart) — then a finding — or the kit's (ERROR). Pure, from literal histories.
 */

import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/checker/types.js';
import { AuthError, ConnectionClosedError, ProtocolError, TimeoutError } from '../../src/errors.js';
import type { FrameEvent, HistoryEvent } from '../../src/history/events.js';
import { type LoginRefusal, provenStop, troubleFindings } from '../../src/runner/case-trouble.js';

const refused = new AuthError(
  'xmpp://127.0.0.1:5222 refused the credentials of bob@localhost (SASL not-authorized)',
);

function session(actor: string, t: number): HistoryEvent {
  return {
    kind: 'session',
    t,
    actor,
    conn: 1,
    maxSeq: 0,
    pending: 0,
    caps: [],
    limits: undefined,
    lastSeq: undefined,
  };
}

const killAt = (t: number): HistoryEvent[] => [
  { kind: 'target', t, action: 'kill' },
  { kind: 'target', t: t + 1, action: 'restart', detail: 'same data' },
];

const refusal = (t: number): LoginRefusal[] => [{ user: 'bob', t, error: refused }];

describe('troubleFindings', () => {
  it('turns whatever failed after the server exited on its own into FRAME-8, not ERROR', () => {
    const found = troubleFindings({
      error: new ConnectionClosedError('connection refused'),
      events: [],
      crashes: 1,
      refusals: [],
      provisionedAt: 0,
    });
    expect(found).toEqual([
      expect.objectContaining({
        requirement: 'FRAME-8',
        actual: 'after the server exited, the case could not go on: connection refused',
      }),
    ]);
  });

  it('turns a login refused after a kill -9 into DUR-1 when the account had logged in before', () => {
    const found = troubleFindings({
      error: refused,
      events: [session('bob/phone', 10), ...killAt(50)],
      crashes: 0,
      refusals: refusal(60),
      provisionedAt: undefined,
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ requirement: 'DUR-1', actor: 'bob' });
    expect(found[0]!.expected).toContain('had logged in before it was stopped');
    expect(found[0]!.actual).toContain('the server lost the account');
    expect(found[0]!.actual).toContain('SASL not-authorized');
  });

  it('counts an account created in provisioning as accepted before the restart', () => {
    const found = troubleFindings({
      error: refused,
      events: killAt(50),
      crashes: 0,
      refusals: refusal(60),
      provisionedAt: 5,
    });
    expect(found[0]).toMatchObject({ requirement: 'DUR-1' });
    expect(found[0]!.expected).toContain('had created');
  });

  it('leaves an error the kit must own as ERROR: no restart, an account never accepted, or not a login', () => {
    const base = { crashes: 0, provisionedAt: undefined };
    // Refused without any restart: credentials or configuration.
    expect(
      troubleFindings({ ...base, error: refused, events: [session('bob/phone', 1)], refusals: refusal(60) }),
    ).toEqual([]);
    // Refused after a restart, but the server never had the account.
    expect(troubleFindings({ ...base, error: refused, events: killAt(50), refusals: refusal(60) })).toEqual(
      [],
    );
    // Refused before the restart.
    expect(
      troubleFindings({
        ...base,
        error: refused,
        events: [session('bob/phone', 1), ...killAt(50)],
        refusals: refusal(40),
      }),
    ).toEqual([]);
    // Not a refused login at all.
    expect(
      troubleFindings({
        ...base,
        error: new TimeoutError('no answer'),
        events: killAt(50),
        refusals: refusal(60),
      }),
    ).toEqual([]);
  });
});

describe('provenStop: an answer the driver refused', () => {
  /** A sync:A with an unknown member, as the ran driver records it and hands it to its waiter. */
  const frame: FrameEvent = {
    kind: 'frame',
    t: 40,
    actor: 'alice/phone',
    conn: 1,
    dir: 'in',
    type: 'sync:A',
    fields: { rid: '~5', msgs: [], more: false, maxSeq: 16, 'x-fault': 1 },
    raw: '{"type":"sync:A","rid":"~5","msgs":[],"more":false,"maxSeq":16,"x-fault":1}',
    invalid: 'sync:A: unknown member "x-fault"',
  };
  const events: HistoryEvent[] = [session('alice/phone', 10), frame];
  const refused = new ProtocolError(
    `the answer to sync:R before 16 (rid ~5) is not a valid RAN/1 frame: ${frame.invalid}`,
    'bad-frame',
    null,
    { frame },
  );
  const schema: Finding = {
    kind: 'schema-violation',
    requirement: 'FRAME-4',
    level: 'MUST',
    expected: 'every frame the server sends validates against schemas/frame.schema.json',
    actual: `alice/phone got sync:A: ${frame.invalid}`,
    evidence: [1],
  };

  it("is the server's when a MUST finding of the checker names the refused frame", () => {
    expect(provenStop(refused, events, [schema])).toBe(true);
  });

  it("stays the kit's when the checker excused the frame (a proxy corrupted it) or names another one", () => {
    expect(provenStop(refused, events, [])).toBe(false);
    expect(provenStop(refused, events, [{ ...schema, evidence: [0] }])).toBe(false);
    expect(provenStop(refused, events, [{ ...schema, level: 'SHOULD' }])).toBe(false);
  });

  it("stays the kit's for its own trouble: a timeout, a protocol error with no server frame, a frame not in this history", () => {
    expect(provenStop(new TimeoutError('no answer to sync:R within 5000 ms'), events, [schema])).toBe(false);
    expect(provenStop(new ProtocolError('x', 'bad-frame'), events, [schema])).toBe(false);
    expect(provenStop(refused, [session('alice/phone', 10), { ...frame }], [schema])).toBe(false);
  });
});

describe('provenStop: a request the server never answered', () => {
  /** The sync:R a page step sent, as the ran driver records it (fields: the frame object sent). */
  const request = { type: 'sync:R', rid: '~7', before: 16, limit: 50 };
  const sent: FrameEvent = {
    kind: 'frame',
    t: 40,
    actor: 'alice/phone',
    conn: 1,
    dir: 'out',
    type: 'sync:R',
    fields: request,
    raw: JSON.stringify(request),
  };
  const events: HistoryEvent[] = [session('alice/phone', 10), sent];
  const timeout = new TimeoutError('no answer to sync:R before 16 (rid ~7) within 5000 ms', { request });
  const unanswered: Finding = {
    kind: 'unanswered-request',
    requirement: 'RID-1',
    level: 'MUST',
    expected: 'one A with rid ~7 in answer to sync:R',
    actual: 'alice/phone conn 1 got no answer in 5003 ms (connection open at the end)',
    evidence: [1],
  };

  it("is the server's when the checker holds the silence against it (RID-1 names the request)", () => {
    expect(provenStop(timeout, events, [unanswered])).toBe(true);
  });

  it("stays the kit's when the checker excused the silence (a fault, a crash) or the request is another one", () => {
    expect(provenStop(timeout, events, [])).toBe(false);
    // An equal frame is not the one sent: the driver names its request by identity.
    const copy: FrameEvent = { ...sent, fields: { ...request } };
    expect(provenStop(timeout, [session('alice/phone', 10), copy], [unanswered])).toBe(false);
    expect(provenStop(new TimeoutError('no answer'), events, [unanswered])).toBe(false);
  });

  it('is held to the server the same way when it closed the connection on the request', () => {
    const closed = new ConnectionClosedError(
      'the connection closed (server, with code 4999) before the answer to sync:R before 16 (rid ~7)',
      4999,
      { request },
    );
    expect(provenStop(closed, events, [unanswered])).toBe(true);
    // The checker excused the close (the kit's cut, a close the protocol allows): the kit's ERROR.
    expect(provenStop(closed, events, [])).toBe(false);
    expect(provenStop(new ConnectionClosedError('closed', 4999), events, [unanswered])).toBe(false);
  });
});
