/**
 * The pure parts of the MQTT driver, from literal fixtures: target resolution, the message
 * envelope both ways, the wire-log rendering, the driver-assigned seqs and the DUP-marking store.
 */

import { describe, expect, it } from 'vitest';
import {
  credentials,
  decodeEnvelope,
  encodeEnvelope,
  MQTT_TARGET_DEFAULTS,
  ReplayStore,
  renderPacket,
  resolveMqttTarget,
  smidOf,
  UserSeqs,
} from '../../src/drivers/mqtt/index.js';
import { ConfigError } from '../../src/errors.js';

describe('resolveMqttTarget', () => {
  it('defaults to MQTT 5, QoS 1, cmid in the payload, a one-hour session and the imspec/inbox prefix', () => {
    const t = resolveMqttTarget({ target: 'mqtt://127.0.0.1:1883' });
    expect(t).toEqual({ url: 'mqtt://127.0.0.1:1883', ...MQTT_TARGET_DEFAULTS });
    expect(Object.isFrozen(t)).toBe(true);
  });

  it('reads query parameters, and explicit options win over them', () => {
    const t = resolveMqttTarget({
      target: 'mqtt://h:1?version=3.1.1&qos=2&sessionExpiry=60&keepalive=5&topic=im/in/',
      qos: 1,
    });
    expect(t).toMatchObject({
      url: 'mqtt://h:1',
      version: 4,
      qos: 1,
      sessionExpiry: 60,
      keepalive: 5,
      topic: 'im/in',
    });
  });

  it('logs in anonymously with anonymous=1: no user name or password in CONNECT', () => {
    const t = resolveMqttTarget({ target: 'mqtt://h:1?anonymous=1' });
    expect(t.anonymous).toBe(true);
    expect(credentials(t, { user: 'alice', token: 'pw' })).toEqual({});
    expect(credentials(resolveMqttTarget({ target: 'mqtt://h:1' }), { user: 'alice', token: 'pw' })).toEqual({
      username: 'alice',
      password: 'pw',
    });
  });

  it.each([
    ['mqtt://h:1?colour=red', /unknown parameter "colour"; known: version, qos/],
    ['mqtt://h:1?qos=0', /qos must be 1 or 2/],
    ['mqtt://h:1?version=3', /version must be 5 or 3.1.1/],
    ['mqtt://h:1?version=4&cmid=property', /needs MQTT 5 user properties/],
    ['mqtt://h:1?sessionExpiry=0', /sessionExpiry must be an integer ≥ 1/],
    ['mqtt://h:1?topic=a/%2B', /without \+ or #/],
    ['mqtt://h:1?anonymous=yes', /anonymous must be 1 or 0/],
    ['http://h:1', /not MQTT/],
    ['not a url', /not a URL/],
  ])('refuses %s with a ConfigError that names the problem', (target, message) => {
    expect(() => resolveMqttTarget({ target })).toThrow(ConfigError);
    expect(() => resolveMqttTarget({ target })).toThrow(message);
  });
});

describe('message envelope', () => {
  const envelope = { cmid: 'c1', from: 'alice', body: 'hé {"x":1}', ts: 1700000000000 };

  it('round-trips through a JSON payload', () => {
    const encoded = encodeEnvelope(envelope, 'payload');
    expect(encoded.userProperties).toBeUndefined();
    expect(decodeEnvelope(Buffer.from(encoded.payload), undefined)).toEqual(envelope);
  });

  it('round-trips through MQTT 5 user properties with the body as the bare payload', () => {
    const encoded = encodeEnvelope(envelope, 'property');
    expect(encoded.payload).toBe(envelope.body);
    expect(decodeEnvelope(Buffer.from(encoded.payload), encoded.userProperties)).toEqual(envelope);
  });

  it.each([
    ['not json', undefined, /not JSON/],
    ['[1]', undefined, /no string "cmid"/],
    ['{"cmid":"c","body":"b"}', undefined, /no string "from"/],
    ['{"cmid":"c","from":"a"}', undefined, /no string "body"/],
    ['body', { cmid: 'c' }, /"from" missing/],
  ])('says why %s is not an imspec message', (payload, props, reason) => {
    expect(decodeEnvelope(payload, props)).toMatch(reason);
  });

  it('names a message by its sender and cmid, the same at both ends', () => {
    expect(smidOf('alice', 'c1')).toBe('alice/c1');
  });
});

describe('renderPacket', () => {
  it('renders a PUBLISH with QoS, packet id, DUP and payload', () => {
    expect(
      renderPacket({
        cmd: 'publish',
        qos: 1,
        messageId: 7,
        dup: true,
        retain: false,
        topic: 'imspec/inbox/bob',
        payload: Buffer.from('{"cmid":"c1"}'),
      }),
    ).toBe('PUBLISH qos=1 pid=7 dup=1 retain=0 topic=imspec/inbox/bob payload={"cmid":"c1"}');
  });

  it('never renders the CONNECT password', () => {
    const raw = renderPacket({
      cmd: 'connect',
      protocolVersion: 5,
      clientId: 'imspec-alice-d1',
      clean: false,
      keepalive: 30,
      username: 'alice',
      password: Buffer.from('sekrit'),
      properties: { sessionExpiryInterval: 3600 },
    });
    expect(raw).toBe(
      'CONNECT v5 clientId=imspec-alice-d1 clean=0 keepalive=30 username=alice password=<redacted> {sessionExpiryInterval=3600}',
    );
  });

  it('renders acknowledgements with their reason codes', () => {
    expect(renderPacket({ cmd: 'puback', messageId: 3, reasonCode: 16 })).toBe('PUBACK pid=3 rc=16');
    expect(renderPacket({ cmd: 'connack', sessionPresent: true, returnCode: 0 })).toBe(
      'CONNACK sessionPresent=1 rc=0',
    );
  });
});

describe('driver-assigned seqs', () => {
  it('numbers distinct messages 1, 2, 3 and gives a repeated smid its first seq', () => {
    const seqs = new UserSeqs();
    expect(['a/1', 'a/2', 'a/1', 'b/1'].map((smid) => seqs.seqOf(smid))).toEqual([1, 2, 1, 3]);
    expect(seqs.lastSeq).toBe(3);
  });
});

describe('ReplayStore', () => {
  it('marks stored PUBLISH copies DUP, so a replay after reconnect carries DUP=1 (MQTT §3.3.1.1)', () => {
    const store = new ReplayStore();
    const publish = {
      cmd: 'publish' as const,
      qos: 1 as const,
      messageId: 1,
      dup: false,
      retain: false,
      topic: 't',
      payload: '',
    };
    store.put(publish, () => {});
    const found: unknown[] = [];
    store.close(() => {});
    // clean: false — the packets outlive the connection that stored them.
    store.get({ messageId: 1 } as never, (error: unknown, packet: unknown) => found.push(error, packet));
    expect(found).toEqual([null, expect.objectContaining({ cmd: 'publish', dup: true })]);
  });
});
