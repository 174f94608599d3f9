// The amqps listener and HTTPS for the management API, with a throw-away CA made here with openssl:
// clients that trust the CA connect and work; with peer verification on, a client certificate from the
// CA is required (fail-if-no-peer-cert) and one from elsewhere is refused.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { startBroker, type RunningBroker } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'warren-tls-'));
const file = (name: string) => join(dir, name);
const pem = (name: string) => readFileSync(file(name));

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, a server certificate for localhost/127.0.0.1 and a client certificate, all signed by the CA; plus a stranger CA's client. */
function makeCertificates(): void {
  for (const ca of ['ca', 'other-ca']) {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=Warren test ${ca}`, '-keyout', `${ca}.key`, '-out', `${ca}.pem`);
  }
  const sign = (name: string, cn: string, ca: string, ext?: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    const args = ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-out', `${name}.pem`];
    if (ext) {
      execFileSync('sh', ['-c', `printf '%s' '${ext}' > ${name}.ext`], { cwd: dir });
      args.push('-extfile', `${name}.ext`);
    }
    openssl(...args);
  };
  sign('server', 'localhost', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
  sign('client', 'warren-client', 'ca');
  sign('stranger', 'stranger', 'other-ca');
}

let haveOpenssl = true;
try {
  execFileSync('openssl', ['version'], { stdio: 'pipe' });
} catch {
  haveOpenssl = false;
}

before(() => {
  if (haveOpenssl) makeCertificates();
});
after(() => rmSync(dir, { recursive: true, force: true }));

function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('amqps and HTTPS', { skip: haveOpenssl ? false : 'openssl is not installed' }, () => {
  let broker: RunningBroker;

  before(async () => {
    broker = await startBroker({
      port: 0,
      host: '127.0.0.1',
      tls: { port: 0, cert: pem('server.pem'), key: pem('server.key') },
      management: { port: 0, host: '127.0.0.1', tls: { cert: pem('server.pem'), key: pem('server.key') } },
    });
  });
  after(async () => {
    await broker?.close();
  });

  test('a client that trusts the CA connects over TLS, publishes and gets', async () => {
    const conn = await amqp.connect(`amqps://guest:guest@localhost:${broker.tlsPort}`, { ca: [pem('ca.pem')] });
    try {
      const ch = await conn.createChannel();
      const { queue } = await ch.assertQueue('', { exclusive: true });
      ch.sendToQueue(queue, Buffer.from('over tls'));
      let got: amqp.GetMessage | false = false;
      for (let i = 0; i < 50 && !got; i++) got = await ch.get(queue, { noAck: true });
      assert.ok(got);
      assert.equal(got.content.toString(), 'over tls');
    } finally {
      await conn.close();
    }
  });

  test('a client that does not trust the certificate fails the handshake; the plain port still works', async () => {
    await assert.rejects(amqp.connect(`amqps://guest:guest@localhost:${broker.tlsPort}`, { ca: [pem('other-ca.pem')] }));
    const plain = await amqp.connect(broker.url);
    await plain.close();
  });

  test('the management API answers over HTTPS and reports the amqps connection with its TLS details', async () => {
    assert.match(broker.managementUrl!, /^https:\/\//);
    const conn = await amqp.connect(`amqps://guest:guest@localhost:${broker.tlsPort}`, { ca: [pem('ca.pem')] });
    try {
      const res = await httpsGet(`${broker.managementUrl}/api/connections`, pem('ca.pem'));
      assert.equal(res.status, 200);
      const list = JSON.parse(res.body) as { ssl: boolean; ssl_protocol?: string }[];
      const tls = list.filter((c) => c.ssl);
      assert.equal(tls.length, 1);
      assert.match(tls[0].ssl_protocol ?? '', /^TLSv1\.[23]$/);
      const overview = JSON.parse((await httpsGet(`${broker.managementUrl}/api/overview`, pem('ca.pem'))).body) as { listeners: { protocol: string }[] };
      assert.deepEqual(overview.listeners.map((l) => l.protocol).sort(), ['amqp', 'amqp/ssl', 'https']);
    } finally {
      await conn.close();
    }
  });
});

describe('client certificates (verify peer, fail if no peer certificate)', { skip: haveOpenssl ? false : 'openssl is not installed' }, () => {
  let broker: RunningBroker;

  before(async () => {
    broker = await startBroker({
      port: 0,
      host: '127.0.0.1',
      tls: { port: 0, cert: pem('server.pem'), key: pem('server.key'), ca: pem('ca.pem'), verifyPeer: true, failIfNoPeerCert: true },
    });
  });
  after(async () => {
    await broker?.close();
  });

  const url = () => `amqps://guest:guest@localhost:${broker.tlsPort}`;

  test('a client certificate from the CA is accepted', async () => {
    const conn = await amqp.connect(url(), { ca: [pem('ca.pem')], cert: pem('client.pem'), key: pem('client.key') });
    await conn.close();
  });

  test('no client certificate, or one from another CA, is refused', async () => {
    await assert.rejects(amqp.connect(url(), { ca: [pem('ca.pem')] }));
    await assert.rejects(amqp.connect(url(), { ca: [pem('ca.pem')], cert: pem('stranger.pem'), key: pem('stranger.key') }));
  });
});

describe('client certificates optional (verify peer without fail-if-no-peer-cert)', { skip: haveOpenssl ? false : 'openssl is not installed' }, () => {
  let broker: RunningBroker;

  before(async () => {
    broker = await startBroker({
      port: 0,
      host: '127.0.0.1',
      tls: { port: 0, cert: pem('server.pem'), key: pem('server.key'), ca: pem('ca.pem'), verifyPeer: true, failIfNoPeerCert: false },
    });
  });
  after(async () => {
    await broker?.close();
  });

  test('a client without a certificate is let in; one with a certificate from another CA is not', async () => {
    const url = `amqps://guest:guest@localhost:${broker.tlsPort}`;
    const conn = await amqp.connect(url, { ca: [pem('ca.pem')] });
    await conn.close();
    await assert.rejects(amqp.connect(url, { ca: [pem('ca.pem')], cert: pem('stranger.pem'), key: pem('stranger.key') }));
  });
});
