// Wire-level behaviour pinned against RabbitMQ 3.10 with a hand-written client (test/helpers/raw-amqp.ts):
// protocol header negotiation, connection.start/tune contents, authentication, framing errors, heartbeats,
// and how the server copes with frames split across or coalesced into TCP writes.
//
// Every reply code, text and class/method id asserted here is what RabbitMQ 3.10.8 sends.
// Where RabbitMQ sends nothing and just drops the socket, the test asserts exactly that.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import {
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  M,
  PROTOCOL_HEADER,
  RawClient,
  bodyFrame,
  frame,
  headerFrame,
  heartbeatFrame,
  methodFrame,
  parseClose,
  parseGetOk,
  parseStart,
  type Close,
} from '../helpers/raw-amqp.js';

let broker: TestBroker;
const clients: RawClient[] = [];

before(async () => {
  broker = await testBroker();
});

after(async () => {
  for (const c of clients) c.destroy();
  await broker.close();
});

async function connect(): Promise<RawClient> {
  const c = await RawClient.connect(broker.url);
  clients.push(c);
  return c;
}

/** A connected, opened client with heartbeats off (so no heartbeat frame can interleave). */
async function opened(o: { frameMax?: number; channelMax?: number } = {}): Promise<RawClient> {
  const c = await connect();
  await c.handshake({ heartbeat: 0, ...o });
  return c;
}

function close(replyCode: number, replyText: string, classId: number, methodId: number): Close {
  return { replyCode, replyText, classId, methodId };
}

/** Asserts the server answers with nothing at all and closes the socket. */
async function expectSilentClose(c: RawClient): Promise<void> {
  const frames = await c.drainUntilClosed();
  assert.deepEqual(frames, [], 'the server should close the socket without sending anything');
  assert.equal(c.pending, 0, 'no partial frame either');
}

/** declare an exclusive queue on `channel` and return its name */
async function declareQueue(c: RawClient, channel: number): Promise<string> {
  const name = uniqueName('wire');
  await c.write(M.queueDeclare(channel, name, { exclusive: true }));
  const ok = await c.expectMethod(50, 11);
  assert.equal(ok.args.shortstr(), name);
  return name;
}

async function getOne(c: RawClient, channel: number, queue: string): Promise<Buffer> {
  await c.write(M.basicGet(channel, queue, true));
  const m = await c.nextMethod();
  parseGetOk(m);
  return (await c.readContent(channel)).body;
}

const SAFETY = { timeout: 30_000 };

describe('protocol header', { concurrency: true, ...SAFETY }, () => {
  for (const [label, header] of [
    ['AMQP 0-9-0', 'AMQP\x00\x00\x09\x00'],
    ['AMQP 0-8 (as 0,0,8,0)', 'AMQP\x00\x00\x08\x00'],
    ['AMQP 1.0', 'AMQP\x00\x01\x00\x00'],
    ['AMQP 1.0 SASL', 'AMQP\x03\x01\x00\x00'],
    ['HTTP/1.1', 'HTTP/1.1'],
    ['an HTTP request', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'],
  ] as const) {
    test(`${label}: the server answers with its own header AMQP 0-9-1 and closes`, async () => {
      const c = await connect();
      await c.write(Buffer.from(header, 'latin1'));
      assert.deepEqual(await c.readBytes(8), PROTOCOL_HEADER);
      await expectSilentClose(c);
    });
  }

  test('the legacy AMQP 0-9 header (1,1,0,9) is accepted as 0-9-1: connection.start follows', async () => {
    const c = await connect();
    await c.write(Buffer.from('AMQP\x01\x01\x00\x09', 'latin1'));
    const start = parseStart(await c.nextMethod());
    assert.equal(start.versionMajor, 0);
    assert.equal(start.versionMinor, 9);
  });

  test('a protocol header written one byte at a time is assembled', async () => {
    const c = await connect();
    await c.writeBytewise(PROTOCOL_HEADER);
    const m = await c.nextMethod();
    assert.equal(m.channel, 0);
    parseStart(m);
  });

  test('garbage after the header: the server closes the socket without a word', async () => {
    const c = await connect();
    await c.write(PROTOCOL_HEADER);
    parseStart(await c.nextMethod());
    await c.write(Buffer.from('this is definitely not an AMQP frame, just garbage'));
    await expectSilentClose(c);
  });

  test('a well-formed but wrong method instead of start-ok: silent close too', async () => {
    const c = await connect();
    await c.write(PROTOCOL_HEADER);
    parseStart(await c.nextMethod());
    await c.write(M.tuneOk(0, 131072, 0));
    await expectSilentClose(c);
  });
});

describe('connection.start and tune', SAFETY, () => {
  test('connection.start: version 0-9, server properties, capabilities, mechanisms, locales', async () => {
    const c = await connect();
    await c.write(PROTOCOL_HEADER);
    const m = await c.nextMethod();
    assert.equal(m.channel, 0);
    const start = parseStart(m);
    assert.equal(start.versionMajor, 0);
    assert.equal(start.versionMinor, 9);

    const props = start.serverProperties;
    assert.deepEqual(Object.keys(props).sort(), [
      'capabilities',
      'cluster_name',
      'copyright',
      'information',
      'platform',
      'product',
      'version',
    ]);
    for (const key of ['product', 'version', 'platform', 'copyright', 'information', 'cluster_name']) {
      const v = props[key];
      assert.ok(v);
      assert.equal(v.type, 'S', `${key} is a long string`);
      assert.equal(typeof v.value, 'string');
      assert.ok((v.value as string).length > 0, `${key} is not empty`);
    }
    assert.equal(props.capabilities?.type, 'F');
    const t = { type: 't', value: true };
    assert.deepEqual(props.capabilities?.value, {
      publisher_confirms: t,
      exchange_exchange_bindings: t,
      'basic.nack': t,
      consumer_cancel_notify: t,
      'connection.blocked': t,
      consumer_priorities: t,
      authentication_failure_close: t,
      per_consumer_qos: t,
      direct_reply_to: t,
    });
    assert.ok(start.mechanisms.includes('PLAIN'), `mechanisms: ${start.mechanisms.join(' ')}`);
    assert.ok(start.mechanisms.includes('AMQPLAIN'), `mechanisms: ${start.mechanisms.join(' ')}`);
    assert.deepEqual(start.locales, ['en_US']);
  });

  test('connection.tune proposes channel_max 2047, frame_max 131072, heartbeat 60', async () => {
    const c = await connect();
    const { tune } = await c.handshake({ heartbeat: 0 });
    assert.deepEqual(tune, { channelMax: 2047, frameMax: 131072, heartbeat: 60 });
  });

  test('login with AMQPLAIN works', async () => {
    const c = await connect();
    await c.handshake({ mechanism: 'AMQPLAIN', heartbeat: 0 });
    await c.openChannel(1);
    await declareQueue(c, 1);
    await c.close();
  });

  test('login with PLAIN works', async () => {
    const c = await connect();
    await c.handshake({ mechanism: 'PLAIN', heartbeat: 0 });
    await c.openChannel(1);
    await c.close();
  });

  test('open of an unknown vhost: 530 NOT_ALLOWED naming connection.open', async () => {
    const c = await connect();
    await c.startAndLogin();
    await c.expectMethod(10, 30);
    await c.write(M.tuneOk(2047, 131072, 0));
    await c.write(M.connectionOpen('/no-such-vhost'));
    assert.deepEqual(
      await c.expectConnectionClose(),
      close(530, 'NOT_ALLOWED - vhost /no-such-vhost not found', 10, 40),
    );
  });
});

describe('authentication failures', { concurrency: true, ...SAFETY }, () => {
  test('wrong password (PLAIN): connection.close 403 ACCESS_REFUSED, class/method 0/0', async () => {
    const c = await connect();
    await c.startAndLogin({ pass: 'definitely-wrong' });
    assert.deepEqual(
      await c.expectConnectionClose(),
      close(
        403,
        'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.',
        0,
        0,
      ),
    );
  });

  test('unknown user (AMQPLAIN): the text names the mechanism used', async () => {
    const c = await connect();
    await c.startAndLogin({ mechanism: 'AMQPLAIN', user: 'no-such-user', pass: 'x' });
    assert.deepEqual(
      await c.expectConnectionClose(),
      close(
        403,
        'ACCESS_REFUSED - Login was refused using authentication mechanism AMQPLAIN. For details see the broker logfile.',
        0,
        0,
      ),
    );
  });

  test('wrong password from a client without authentication_failure_close: silent close', async () => {
    const c = await connect();
    await c.startAndLogin({ pass: 'definitely-wrong', clientProperties: { product: 'old-client' } });
    await expectSilentClose(c);
  });

  test('an unsupported mechanism: silent close', async () => {
    const c = await connect();
    await c.write(PROTOCOL_HEADER);
    parseStart(await c.nextMethod());
    await c.write(M.startOk({ mechanism: 'CRAM-MD5', response: 'whatever' }));
    await expectSilentClose(c);
  });

  test('tune-ok asking for more channels than offered (2048 > 2047): silent close', async () => {
    const c = await connect();
    await c.startAndLogin();
    await c.expectMethod(10, 30);
    await c.write(M.tuneOk(2048, 131072, 0));
    await c.write(M.connectionOpen('/'));
    await expectSilentClose(c);
  });

  test('tune-ok with frame_max below 4096: silent close', async () => {
    const c = await connect();
    await c.startAndLogin();
    await c.expectMethod(10, 30);
    await c.write(M.tuneOk(2047, 4095, 0));
    await c.write(M.connectionOpen('/'));
    await expectSilentClose(c);
  });
});

describe('framing errors after the handshake', { concurrency: true, ...SAFETY }, () => {
  test('a frame larger than the negotiated frame_max: 501 FRAME_ERROR frame_too_large', async () => {
    const c = await opened();
    // the error is raised as soon as the 7-byte frame header is read; the rest may never be read
    c.write(frame(FRAME_METHOD, 0, Buffer.alloc(131073))).catch(() => {});
    assert.deepEqual(
      await c.expectConnectionClose(),
      close(501, 'FRAME_ERROR - type 1, all octets = <<>>: {frame_too_large,131073,131064}', 0, 0),
    );
  });

  test('frame_max is the one negotiated in tune-ok, and the limit reported is frame_max - 8', async () => {
    const c = await opened({ frameMax: 4096 });
    await c.openChannel(1);
    await c.write(Buffer.concat([M.basicPublish(1, '', 'nowhere'), headerFrame(1, 5000)]));
    c.write(bodyFrame(1, Buffer.alloc(5000))).catch(() => {});
    assert.deepEqual(
      await c.expectConnectionClose(),
      close(501, 'FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,5000,4088}', 0, 0),
    );
  });

  test('a payload of exactly frame_max octets is accepted (RabbitMQ compares the payload, not the frame)', async () => {
    const c = await opened({ frameMax: 4096 });
    await c.openChannel(1);
    const q = await declareQueue(c, 1);
    const body = Buffer.alloc(4096, 0x61);
    await c.write(Buffer.concat([M.basicPublish(1, '', q), headerFrame(1, body.length), bodyFrame(1, body)]));
    assert.deepEqual(await getOne(c, 1, q), body);
    await c.close();
  });

  test('an unknown frame type: 501 FRAME_ERROR unknown_frame with the payload octets', async () => {
    const c = await opened();
    await c.write(frame(9, 0, Buffer.from('hello')));
    assert.deepEqual(
      await c.expectConnectionClose(),
      close(501, 'FRAME_ERROR - type 9, all octets = <<"hello">>: unknown_frame', 0, 0),
    );
  });

  test('an unknown frame type on a channel: still a connection error', async () => {
    const c = await opened();
    await c.openChannel(1);
    await c.write(frame(0, 1, Buffer.alloc(0)));
    assert.deepEqual(
      await c.expectConnectionClose(),
      close(501, 'FRAME_ERROR - type 0, all octets = <<>>: unknown_frame', 0, 0),
    );
  });

  test('a heartbeat frame with a payload counts as an unknown frame', async () => {
    const c = await opened();
    await c.write(frame(FRAME_HEARTBEAT, 0, Buffer.from('x')));
    assert.deepEqual(
      await c.expectConnectionClose(),
      close(501, 'FRAME_ERROR - type 8, all octets = <<"x">>: unknown_frame', 0, 0),
    );
  });

  test('a frame not ended by 0xCE: 501 FRAME_ERROR invalid_frame_end_marker', async () => {
    const c = await opened();
    const f = M.channelOpen(1);
    f[f.length - 1] = 0;
    await c.write(f);
    assert.deepEqual(
      await c.expectConnectionClose(),
      close(501, 'FRAME_ERROR - type 1, all octets = <<0,20,0,10,0>>: {invalid_frame_end_marker,0}', 0, 0),
    );
  });

  test('method arguments that cannot be decoded: 501 FRAME_ERROR naming the method', async () => {
    const c = await opened();
    await c.openChannel(1);
    await c.write(methodFrame(1, 50, 10, Buffer.from([0, 0, 5])));
    assert.deepEqual(await c.expectConnectionClose(), close(501, 'FRAME_ERROR - cannot decode <<0,0,5>>', 50, 10));
  });

  test('an unknown method id: the server drops the socket without connection.close', async () => {
    const c = await opened();
    await c.write(methodFrame(0, 10, 99));
    await expectSilentClose(c);
  });

  test('a method on a channel that is not open: 504 CHANNEL_ERROR expected channel.open', async () => {
    const c = await opened();
    await c.write(M.queueDeclare(1, 'x'));
    assert.deepEqual(await c.expectConnectionClose(), close(504, "CHANNEL_ERROR - expected 'channel.open'", 50, 10));
  });

  test('a publish on a channel that is not open fails once its content is complete', async () => {
    const c = await opened();
    await c.write(Buffer.concat([M.basicPublish(5, '', 'x'), headerFrame(5, 1), bodyFrame(5, Buffer.from('x'))]));
    assert.deepEqual(await c.expectConnectionClose(), close(504, "CHANNEL_ERROR - expected 'channel.open'", 60, 40));
  });

  test('channel.close on a channel that is not open: 504 as well', async () => {
    const c = await opened();
    await c.write(M.channelClose(3));
    assert.deepEqual(await c.expectConnectionClose(), close(504, "CHANNEL_ERROR - expected 'channel.open'", 20, 40));
  });

  test('a second channel.open on an open channel: 504 CHANNEL_ERROR', async () => {
    const c = await opened();
    await c.openChannel(1);
    await c.write(M.channelOpen(1));
    assert.deepEqual(
      await c.expectConnectionClose(),
      close(504, "CHANNEL_ERROR - second 'channel.open' seen", 20, 10),
    );
  });

  test('a channel method on channel 0: 504 unexpected method in connection state running', async () => {
    const c = await opened();
    await c.write(M.channelOpen(0));
    assert.deepEqual(
      await c.expectConnectionClose(),
      close(504, 'CHANNEL_ERROR - unexpected method in connection state running', 20, 10),
    );
  });

  test('basic.publish on channel 0: 504 naming basic.publish', async () => {
    const c = await opened();
    await c.write(M.basicPublish(0, '', 'x'));
    assert.deepEqual(
      await c.expectConnectionClose(),
      close(504, 'CHANNEL_ERROR - unexpected method in connection state running', 60, 40),
    );
  });

  test('channel_max limits how many channels are open, not the channel numbers', async () => {
    const c = await opened({ channelMax: 2 });
    await c.openChannel(5); // a number above channel_max is fine
    await c.openChannel(2000);
    await c.write(M.channelOpen(1));
    assert.deepEqual(
      await c.expectConnectionClose(),
      close(530, 'NOT_ALLOWED - number of channels opened (2) has reached the negotiated channel_max (2)', 0, 0),
    );
  });

  test('a body frame on an idle channel: 505 UNEXPECTED_FRAME expected method frame', async () => {
    const c = await opened();
    await c.openChannel(1);
    await c.write(bodyFrame(1, Buffer.from('hi')));
    assert.deepEqual(
      await c.expectConnectionClose(),
      close(505, 'UNEXPECTED_FRAME - expected method frame, got non method frame instead', 0, 0),
    );
  });

  test('a content header without a publish: 505 expected method frame', async () => {
    const c = await opened();
    await c.openChannel(1);
    await c.write(headerFrame(1, 2));
    assert.deepEqual(
      await c.expectConnectionClose(),
      close(505, 'UNEXPECTED_FRAME - expected method frame, got non method frame instead', 0, 0),
    );
  });

  test('a body frame right after basic.publish (no header): 505 expected content header', async () => {
    const c = await opened();
    await c.openChannel(1);
    await c.write(Buffer.concat([M.basicPublish(1, '', 'x'), bodyFrame(1, Buffer.from('hi'))]));
    assert.deepEqual(
      await c.expectConnectionClose(),
      close(505, 'UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead', 60, 40),
    );
  });

  test('a method where a body frame is due: 505 expected content body', async () => {
    const c = await opened();
    await c.openChannel(1);
    await c.write(Buffer.concat([M.basicPublish(1, '', 'x'), headerFrame(1, 2), M.basicGet(1, 'x')]));
    assert.deepEqual(
      await c.expectConnectionClose(),
      close(505, 'UNEXPECTED_FRAME - expected content body, got non content body frame instead', 60, 40),
    );
  });

  test('a content frame on channel 0: 505 with the frame type and octets', async () => {
    const c = await opened();
    await c.write(bodyFrame(0, Buffer.from('x')));
    assert.deepEqual(await c.expectConnectionClose(), close(505, 'UNEXPECTED_FRAME - type 3, all octets = <<"x">>', 0, 0));
  });

  test('a heartbeat frame on a channel other than 0: 505', async () => {
    const c = await opened();
    await c.write(frame(FRAME_HEARTBEAT, 1, Buffer.alloc(0)));
    assert.deepEqual(await c.expectConnectionClose(), close(505, 'UNEXPECTED_FRAME - type 8, all octets = <<>>', 0, 0));
  });
});

describe('content framing, soft errors and closing', { concurrency: true, ...SAFETY }, () => {
  test('outgoing content is split into body frames of at most frame_max - 8 octets', async () => {
    const c = await opened({ frameMax: 4096 });
    await c.openChannel(1);
    const q = await declareQueue(c, 1);
    const body = Buffer.alloc(10000, 0x62);
    await c.write(
      Buffer.concat([
        M.basicPublish(1, '', q),
        headerFrame(1, body.length),
        bodyFrame(1, body.subarray(0, 4096)),
        bodyFrame(1, body.subarray(4096, 8192)),
        bodyFrame(1, body.subarray(8192)),
        M.basicGet(1, q, true),
      ]),
    );
    parseGetOk(await c.nextMethod());
    const content = await c.readContent(1);
    assert.deepEqual(content.frameSizes, [4088, 4088, 1824]);
    assert.deepEqual(content.body, body);
    await c.close();
  });

  test('an empty body travels as a content header and no body frame; an empty body frame is accepted', async () => {
    const c = await opened();
    await c.openChannel(1);
    const q = await declareQueue(c, 1);
    await c.write(Buffer.concat([M.basicPublish(1, '', q), headerFrame(1, 0), M.basicGet(1, q, true)]));
    parseGetOk(await c.nextMethod());
    const empty = await c.readContent(1);
    assert.equal(empty.bodySize, 0);
    assert.deepEqual(empty.frameSizes, []);

    await c.write(
      Buffer.concat([
        M.basicPublish(1, '', q),
        headerFrame(1, 2),
        bodyFrame(1, Buffer.alloc(0)),
        bodyFrame(1, Buffer.from('ab')),
        M.basicGet(1, q, true),
      ]),
    );
    parseGetOk(await c.nextMethod());
    assert.equal((await c.readContent(1)).body.toString(), 'ab');
    await c.close();
  });

  test('a soft error closes only the channel; what follows on it before close-ok is ignored', async () => {
    const c = await opened();
    await c.openChannel(1);
    await c.write(M.basicGet(1, 'no-such-queue-for-wire-test'));
    assert.deepEqual(
      await c.expectChannelClose(1),
      close(404, `NOT_FOUND - no queue 'no-such-queue-for-wire-test' in vhost '${c.vhost}'`, 60, 70),
    );
    // ignored until the client confirms the close: no second channel.close, no get-empty, no error
    await c.write(
      Buffer.concat([
        M.basicGet(1, 'no-such-queue-for-wire-test'),
        M.basicPublish(1, '', 'x'),
        headerFrame(1, 1),
        bodyFrame(1, Buffer.from('x')),
        M.channelCloseOk(1),
      ]),
    );
    // the channel number is free again; the next frame the server sends is the open-ok
    await c.openChannel(1);
    await declareQueue(c, 1);
    await c.close();
  });

  test('after a hard error the server ignores everything but connection.close-ok', async () => {
    const c = await opened();
    await c.write(M.channelOpen(0));
    const m = await c.expectMethod(10, 50);
    assert.deepEqual(parseClose(m), close(504, 'CHANNEL_ERROR - unexpected method in connection state running', 20, 10));
    await c.write(Buffer.concat([M.channelOpen(1), M.channelOpen(1), frame(9, 0, Buffer.alloc(0)), M.basicPublish(5, '', 'x')]));
    await c.write(M.connectionCloseOk());
    await expectSilentClose(c);
  });

  test('a client connection.close is answered with close-ok, and frames after it are ignored', async () => {
    const c = await opened();
    await c.openChannel(1);
    await c.write(Buffer.concat([M.connectionClose(200, 'bye'), M.channelOpen(2)]));
    assert.deepEqual(await c.nextFrame(), { type: FRAME_METHOD, channel: 0, payload: Buffer.from([0, 10, 0, 51]) });
    // RabbitMQ leaves closing the socket to the client (it gives up after 30 s, or the heartbeat
    // timeout if shorter). Anything it had to say about the channel.open would come before our FIN.
    c.socket.end();
    await expectSilentClose(c);
  });
});

describe('heartbeats', { concurrency: true, ...SAFETY }, () => {
  test('heartbeat=1 and a silent client: the server heartbeats, then drops the socket without connection.close', async () => {
    const c = await connect();
    await c.handshake({ heartbeat: 1 });
    const frames = await c.drainUntilClosed();
    assert.ok(frames.length > 0, 'the server sent heartbeats before giving up');
    for (const f of frames) assert.deepEqual(f, { type: FRAME_HEARTBEAT, channel: 0, payload: Buffer.alloc(0) });
  });

  test('with heartbeats negotiated and a heartbeating client, the server sends heartbeats and keeps the connection', async () => {
    const c = await connect();
    await c.handshake({ heartbeat: 1 });
    const beat = setInterval(() => {
      c.write(heartbeatFrame()).catch(() => {});
    }, 250);
    try {
      for (let i = 0; i < 5; i++) {
        const f = await c.nextFrame();
        assert.deepEqual(f, { type: FRAME_HEARTBEAT, channel: 0, payload: Buffer.alloc(0) });
      }
      // still alive and answering
      await c.openChannel(1);
      await declareQueue(c, 1);
      await c.close();
    } finally {
      clearInterval(beat);
    }
  });
});

describe('robustness of the frame reader', { concurrency: true, ...SAFETY }, () => {
  test('clients that vanish mid-header, mid-handshake and mid-frame do not hurt the broker', async () => {
    const a = await connect();
    await a.write(PROTOCOL_HEADER.subarray(0, 3));
    a.destroy();

    const b = await connect();
    await b.write(PROTOCOL_HEADER);
    parseStart(await b.nextMethod());
    await b.write(M.startOk({ response: Buffer.from('\0guest\0guest') }).subarray(0, 20));
    b.destroy();

    const d = await opened();
    await d.openChannel(1);
    const publish = Buffer.concat([M.basicPublish(1, '', 'x'), headerFrame(1, 10), bodyFrame(1, Buffer.alloc(10))]);
    await d.write(publish.subarray(0, publish.length - 7));
    d.destroy();
    await Promise.all([a.closed, b.closed, d.closed]);

    const e = await opened();
    await e.openChannel(1);
    const q = await declareQueue(e, 1);
    await e.write(Buffer.concat([M.basicPublish(1, '', q), headerFrame(1, 2), bodyFrame(1, Buffer.from('ok'))]));
    assert.equal((await getOne(e, 1, q)).toString(), 'ok');
    await e.close();
  });

  test('a publish written one byte per TCP write arrives intact', async () => {
    const c = await opened();
    await c.openChannel(1);
    const q = await declareQueue(c, 1);
    const body = Buffer.from('split into many tiny writes, one octet each');
    const publish = Buffer.concat([
      M.basicPublish(1, '', q),
      headerFrame(1, body.length, { contentType: 'text/plain', deliveryMode: 2 }),
      bodyFrame(1, body.subarray(0, 10)),
      bodyFrame(1, body.subarray(10, 11)),
      bodyFrame(1, body.subarray(11)),
    ]);
    await c.writeBytewise(publish);
    assert.deepEqual(await getOne(c, 1, q), body);
    await c.close();
  });

  test('many frames coalesced into one write are processed in order', async () => {
    const c = await opened();
    const q = uniqueName('wire');
    const one = Buffer.from('first');
    const two = Buffer.from('second message in two frames');
    await c.write(
      Buffer.concat([
        M.channelOpen(1),
        M.queueDeclare(1, q, { exclusive: true }),
        M.basicPublish(1, '', q),
        headerFrame(1, one.length),
        bodyFrame(1, one),
        M.basicPublish(1, '', q),
        headerFrame(1, two.length),
        bodyFrame(1, two.subarray(0, 7)),
        bodyFrame(1, two.subarray(7)),
        M.basicGet(1, q, true),
        M.basicGet(1, q, true),
        M.basicGet(1, q, true),
        M.channelClose(1),
      ]),
    );
    await c.expectMethod(20, 11);
    const declareOk = await c.expectMethod(50, 11);
    assert.equal(declareOk.args.shortstr(), q);
    const first = parseGetOk(await c.nextMethod());
    assert.equal(first.messageCount, 1, 'one more message behind the first');
    assert.equal(first.routingKey, q);
    assert.deepEqual((await c.readContent(1)).body, one);
    const second = parseGetOk(await c.nextMethod());
    assert.equal(second.messageCount, 0);
    assert.deepEqual((await c.readContent(1)).body, two);
    await c.expectMethod(60, 72); // get-empty
    await c.expectMethod(20, 41);
    await c.close();
  });
});
