/**
 * The MQTT driver's bookkeeping of in-flight PUBLISHes and its packet → frame translation, from
 * literal fixtures, without a broker: a retransmitted cmid joins the packet in flight, a replay
 * answers the bot's later retransmission, MQTT 5 Receive Maximum holds sends back, and the
 * acknowledgements read as msg:A, error:A or ack:R.
 */

import type { IPublishPacket } from 'mqtt';
import { describe, expect, it } from 'vitest';
import {
  completionOf,
  connackFrame,
  readPublish,
  receivedPublishFrame,
} from '../../src/drivers/mqtt/packet-frames.js';
import { PublishFlow } from '../../src/drivers/mqtt/publish-flow.js';
import { ServerRejectedError } from '../../src/errors.js';

const accepted = { cmid: 'c1', smid: 'alice/c1', ts: 1, dup: false };

/** Lets queued microtasks (a freed quota slot's publish) run. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PublishFlow', () => {
  it('publishes a cmid once: a second send while it is in flight joins the first', async () => {
    const flow = new PublishFlow();
    let published = 0;
    const first = flow.answerFor('c1', () => published++);
    flow.sent(7, '~1', 'c1');
    const second = flow.answerFor('c1', () => published++);
    expect(published).toBe(1);
    const done = flow.completed(7);
    expect(done).toMatchObject({ rid: '~1', cmid: 'c1' });
    done?.answer?.resolve(accepted);
    await expect(first).resolves.toEqual(accepted);
    await expect(second).resolves.toEqual(accepted);
    // Completed: a later send of the cmid is a new PUBLISH.
    void flow.answerFor('c1', () => published++);
    expect(published).toBe(2);
  });

  it('keeps the answer of a replayed packet for the bot retransmission that comes after it', async () => {
    const flow = new PublishFlow();
    flow.sent(3, '~1', 'c1'); // mqtt.js replays it from the store after the reconnect
    flow.completed(3)?.answer?.resolve(accepted);
    let published = 0;
    await expect(flow.answerFor('c1', () => published++)).resolves.toEqual(accepted);
    expect(published).toBe(0);
    // The replay's answer was taken: the next send publishes.
    void flow.answerFor('c1', () => published++);
    expect(published).toBe(1);
  });

  it('lets a bot retransmission join a replay still in flight, and forgets both once it completes', async () => {
    const flow = new PublishFlow();
    flow.sent(3, '~1', 'c1'); // replayed after the reconnect
    let published = 0;
    const joined = flow.answerFor('c1', () => published++);
    flow.completed(3)?.answer?.resolve(accepted);
    await expect(joined).resolves.toEqual(accepted);
    void flow.answerFor('c1', () => published++);
    expect(published).toBe(1);
  });

  it('holds sends beyond the broker Receive Maximum until an acknowledgement frees a slot', async () => {
    const flow = new PublishFlow();
    flow.limitTo(1);
    const published: string[] = [];
    void flow.answerFor('c1', () => published.push('c1'));
    flow.sent(1, '~1', 'c1');
    void flow.answerFor('c2', () => published.push('c2'));
    expect(published).toEqual(['c1']);
    flow.completed(1);
    expect(published).toEqual(['c1']); // the slot is reused after the acknowledgement is recorded
    await tick();
    expect(published).toEqual(['c1', 'c2']);
  });

  it('rejects every waiting send when the connection ends, and publishes nothing held back', async () => {
    const flow = new PublishFlow();
    flow.limitTo(1);
    const published: string[] = [];
    const first = flow.answerFor('c1', () => published.push('c1'));
    flow.sent(1, '~1', 'c1');
    const held = flow.answerFor('c2', () => published.push('c2'));
    flow.end(new Error('closed'));
    await expect(first).rejects.toThrow('closed');
    await expect(held).rejects.toThrow('closed');
    flow.completed(1);
    await tick();
    expect(published).toEqual(['c1']);
  });

  it('hands the PUBACK of a delivered message its ack:R once, and ignores packet ids it never saw', () => {
    const flow = new PublishFlow();
    flow.delivered(5, { cmid: 'c9', smid: 'bob/c9', seq: 4 });
    expect(flow.acknowledging(5)).toEqual({ cmid: 'c9', smid: 'bob/c9', seq: 4 });
    expect(flow.acknowledging(5)).toBeUndefined();
    expect(flow.completed(99)).toBeUndefined();
  });
});

describe('packet frames', () => {
  it('reads a refusing CONNACK as error:A and an accepting one as hello:A', () => {
    expect(connackFrame({ cmd: 'connack', sessionPresent: false, reasonCode: 0x87 })).toEqual({
      type: 'error:A',
      fields: { rid: '~h', code: 'mqtt-135', message: 'CONNACK refused the connection (135)' },
    });
    expect(
      connackFrame({
        cmd: 'connack',
        sessionPresent: true,
        reasonCode: 0,
        properties: { receiveMaximum: 20 },
      }),
    ).toEqual({
      type: 'hello:A',
      fields: { rid: '~h', sessionPresent: true, reasonCode: 0, receiveMaximum: 20 },
    });
  });

  it('reads an acknowledgement with a failure reason as error:A and a refusal to reject the send with', () => {
    const refused = completionOf({ rid: '~2', cmid: 'c1' }, 'pubrec', 4, 0x97, 'alice', 10);
    expect(refused.frame).toEqual({
      type: 'error:A',
      fields: {
        rid: '~2',
        code: 'mqtt-151',
        message: 'broker refused the PUBLISH of cmid c1 (PUBREC reason 151)',
      },
    });
    expect('refused' in refused && refused.refused).toBeInstanceOf(ServerRejectedError);
    const ok = completionOf({ rid: '~2', cmid: 'c1' }, 'puback', 4, 16, 'alice', 10);
    expect(ok.frame).toEqual({
      type: 'msg:A',
      fields: { rid: '~2', cmid: 'c1', smid: 'alice/c1', ts: 10, pid: 4, reasonCode: 16 },
    });
    expect('accepted' in ok && ok.accepted).toEqual({ cmid: 'c1', smid: 'alice/c1', ts: 10, dup: false });
  });

  it('names the inbox user from the topic and keeps the delivery flags of a received PUBLISH', () => {
    const packet = {
      cmd: 'publish',
      topic: 'imspec/inbox/bob',
      payload: '',
      qos: 1,
      dup: true,
      retain: false,
      messageId: 12,
    } as IPublishPacket;
    const read = readPublish(packet, 'imspec/inbox');
    expect(read).toEqual({ to: 'bob', wire: { pid: 12, qos: 1, dup: true } });
    expect(readPublish({ ...packet, topic: 'elsewhere/bob' }, 'imspec/inbox').to).toBe('elsewhere/bob');
    expect(receivedPublishFrame({ cmid: 'c1', from: 'alice', body: 'hi', ts: 5 }, read, 2)).toEqual({
      type: 'msg:N',
      fields: {
        smid: 'alice/c1',
        cmid: 'c1',
        from: 'alice',
        to: 'bob',
        body: 'hi',
        ts: 5,
        attempt: 2,
        pid: 12,
        qos: 1,
        dup: true,
      },
    });
  });
});
