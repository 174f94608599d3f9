// `warren ctl`, run as a real child process against a broker's management HTTP API: usage errors,
// reaching the broker, the list commands (tables, JSON, columns) and the queue commands.
// test/cli/ctl-admin.test.ts covers users, vhosts, permissions, policies, definitions and status.
// Against RabbitMQ: WARREN_TEST_MGMT_URL=http://guest:guest@127.0.0.1:15673
//                   WARREN_TEST_URL=amqp://guest:guest@127.0.0.1:5673
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { describe, before, test } from 'node:test';
import amqp from 'amqplib';
import {
  EXIT, ID, NO_VHOST, apiGet, apiList, apiPut, cleanup, ctl, ctlJson, enc, esc, expectExit, listen, queuePath, rowWith, suite,
  target, track, untilApi, useCtlTarget, warren,
} from '../helpers/ctl.js';

useCtlTarget();

describe('warren ctl', { concurrency: 4 }, () => {
  suite('usage', () => {
    test('help lists every command with the options and exit codes; help COMMAND shows one', async () => {
      const [general, one, main] = await Promise.all([ctl(['help']), ctl(['list_queues', '--help']), warren(['--help'])]);
      expectExit(general, EXIT.OK);
      const commands = [
        'list_queues', 'list_exchanges', 'list_bindings', 'list_connections', 'list_consumers', 'purge_queue', 'delete_queue',
        'add_user', 'delete_user', 'change_password', 'set_user_tags', 'list_users', 'add_vhost', 'delete_vhost', 'list_vhosts',
        'set_permissions', 'clear_permissions', 'list_permissions', 'list_user_permissions', 'set_policy', 'clear_policy',
        'list_policies', 'export_definitions', 'import_definitions', 'status',
      ];
      for (const name of commands) assert.match(general.stdout, new RegExp(`^  ${name}\\b`, 'm'), name);
      for (const text of ['--url', 'WARREN_MGMT_URL', 'WARREN_MGMT_USER', 'WARREN_MGMT_PASSWORD', '--format table|json', 'Exit codes']) {
        assert.ok(general.stdout.includes(text), text);
      }
      expectExit(one, EXIT.OK);
      assert.match(one.stdout, /^Usage: warren ctl list_queues \[-p VHOST\] \[COLUMN \.\.\.\]/);
      assert.match(one.stdout, /messages_unacknowledged/);
      expectExit(main, 0);
      assert.match(main.stdout, /warren ctl COMMAND/);
    });

    test('no command, an unknown command, wrong argument counts and foreign options exit 64 with the usage', async () => {
      const [none, unknown, arity, option] = await Promise.all([
        ctl([]),
        ctl(['frobnicate']),
        ctl(['purge_queue']),
        ctl(['purge_queue', 'q', '--if-empty']),
      ]);
      expectExit(none, EXIT.USAGE, /^Error: no command given\n\nUsage: warren ctl \[options\] COMMAND/);
      expectExit(unknown, EXIT.USAGE, /^Error: unknown command 'frobnicate'\n\nUsage: warren ctl/);
      expectExit(arity, EXIT.USAGE, /^Error: purge_queue takes 1 argument, got 0\n\nUsage: warren ctl purge_queue \[-p VHOST\] NAME/);
      expectExit(option, EXIT.USAGE, /^Error: purge_queue does not take --if-empty/);
      for (const run of [none, unknown, arity, option]) assert.equal(run.stdout, '');
    });

    test('invalid option values exit 64 saying what is wrong', async () => {
      const [format, definition, column] = await Promise.all([
        ctl(['list_users', '--format', 'xml']),
        ctl(['set_policy', 'p', '^x', '{"max-length":']),
        ctl(['list_queues', 'name', 'mesages']),
      ]);
      expectExit(format, EXIT.USAGE, /invalid format 'xml': expected table or json/);
      expectExit(definition, EXIT.USAGE, /the policy definition is not valid JSON/);
      expectExit(column, EXIT.USAGE, /unknown column 'mesages' for list_queues/);
      assert.match(column.stderr, /messages_ready/, 'the known columns are listed');
    });
  });

  suite('reaching the broker', () => {
    test('an unreachable API exits 69 naming the URL and the cause; the AMQP port gets a hint', async () => {
      const probe = createTcpServer();
      const port = await listen(probe);
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const amqpPort = new URL(target().amqpUrl).port || '5672';
      const [refused, amqpRun] = await Promise.all([
        ctl(['list_queues', '--url', `http://127.0.0.1:${port}`]),
        ctl(['list_queues', '--url', `http://127.0.0.1:${amqpPort}`]),
      ]);
      expectExit(refused, EXIT.UNAVAILABLE, new RegExp(`^Error: cannot reach the management API at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`, 'm'));
      expectExit(amqpRun, EXIT.UNAVAILABLE, /cannot reach the management API .*is this an HTTP port\?/);
    });

    test('no answer within --timeout exits 75; a server fault exits 70', async () => {
      const sockets = new Set<Socket>();
      const silent = createTcpServer((socket) => sockets.add(socket)); // accepts, never answers
      const fake = createHttpServer((_req, res) => {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal","reason":"boom"}');
      });
      const [silentPort, fakePort] = await Promise.all([listen(silent), listen(fake)]);
      try {
        const [timeout, fault] = await Promise.all([
          ctl(['list_queues', '--url', `http://127.0.0.1:${silentPort}`, '--timeout', '1']),
          ctl(['list_users', '--url', `http://127.0.0.1:${fakePort}`]),
        ]);
        expectExit(timeout, EXIT.TEMP_FAIL, /no answer from the management API at http:\/\/127\.0\.0\.1:\d+ within 1 s/);
        expectExit(fault, EXIT.SOFTWARE, /failed on GET \/api\/users.*: 500 boom/);
      } finally {
        for (const socket of sockets) socket.destroy();
        silent.close();
        fake.close();
      }
    });

    test('a wrong password exits 77 naming the user; so does a user without the rights', async () => {
      const weak = `${ID}-weak`;
      cleanup(`/api/users/${enc(weak)}`);
      await apiPut(`/api/users/${enc(weak)}`, { password: 'weak-pw', tags: '' });
      const [wrong, notAllowed] = await Promise.all([
        ctl(['list_queues'], { WARREN_MGMT_PASSWORD: 'not-the-password' }),
        ctl(['list_users', '--user', weak, '--password', 'weak-pw']),
      ]);
      expectExit(wrong, EXIT.NO_PERM, /^Error: authentication failed: the management API at \S+ refused user 'guest'/m);
      expectExit(notAllowed, EXIT.NO_PERM, new RegExp(`^Error: user '${esc(weak)}' is not allowed to GET /api/users`, 'm'));
    });

    test('--user/--password override the environment; credentials in the URL do too', async () => {
      const hostPort = new URL(target().base).host;
      const badEnv = { WARREN_MGMT_USER: 'nobody', WARREN_MGMT_PASSWORD: 'x' };
      const [flags, inUrl] = await Promise.all([
        ctl(['list_vhosts', '--user', 'guest', '--password', 'guest'], badEnv),
        ctl(['list_vhosts', '--url', `http://guest:wrong@${hostPort}`]),
      ]);
      expectExit(flags, EXIT.OK);
      expectExit(inUrl, EXIT.NO_PERM, /refused user 'guest'/);
    });
  });

  suite('listing', () => {
    const qReady = `${ID}.ready`; // 3 ready messages, bound to the topic exchange
    const qBusy = `${ID}.busy`; // a consumer holds its 2 messages unacknowledged
    const xTopic = `${ID}.x`;
    const connName = `${ID}-conn`;
    const tag = `${ID}-tag`;

    before(async () => {
      cleanup(queuePath(qReady), queuePath(qBusy), `/api/exchanges/%2F/${enc(xTopic)}`);
      const conn = await amqp.connect(target().amqpUrl, { clientProperties: { connection_name: connName } });
      track(conn);
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue(qReady, { durable: false, arguments: { 'x-max-length': 100 } });
      await ch.assertExchange(xTopic, 'topic', { durable: false });
      await ch.bindQueue(qReady, xTopic, 'a.#');
      for (const body of ['m1', 'm2', 'm3']) ch.sendToQueue(qReady, Buffer.from(body));
      await ch.assertQueue(qBusy, { durable: false });
      for (const body of ['b1', 'b2']) ch.sendToQueue(qBusy, Buffer.from(body));
      await ch.waitForConfirms();
      const consumer = await conn.createChannel();
      await consumer.prefetch(5);
      await consumer.consume(qBusy, () => {}, { consumerTag: tag }); // never acks
      await untilApi('the queues, the connection and the consumer', async () => {
        const [ready, busy, conns, consumers] = await Promise.all([
          apiGet(queuePath(qReady)),
          apiGet(queuePath(qBusy)),
          apiList('/api/connections'),
          apiList('/api/consumers/%2F'),
        ]);
        return (
          ready.messages === 3 &&
          busy.messages_unacknowledged === 2 &&
          busy.consumers === 1 &&
          conns.some((c) => (c.client_properties as Record<string, unknown> | undefined)?.connection_name === connName) &&
          consumers.some((c) => c.consumer_tag === tag)
        );
      });
    });

    test('list_queues: name and messages in an aligned table, under a line on stderr', async () => {
      const run = await ctl(['list_queues']);
      expectExit(run, EXIT.OK);
      assert.equal(run.stderr, 'Listing queues in vhost / ...\n');
      const [header, ...rows] = run.stdout.trimEnd().split('\n');
      assert.match(header!, /^name +messages$/);
      const row = rows.find((line) => line.startsWith(`${qReady} `));
      assert.match(row ?? run.stdout, new RegExp(`^${esc(qReady)} +3$`));
      assert.equal(row!.search(/\S+$/), header!.search(/\S+$/), 'the second column starts at the same place on every line');
    });

    test('list_queues with columns as JSON: null where a value is missing', async () => {
      const rows = await ctlJson([
        'list_queues', 'name', 'messages', 'messages_ready', 'messages_unacknowledged', 'consumers', 'durable', 'auto_delete',
        'arguments', 'policy', 'state',
      ]);
      const common = { durable: false, auto_delete: false, policy: null, state: 'running' };
      assert.deepEqual(rowWith(rows, 'name', qReady), {
        ...common, name: qReady, messages: 3, messages_ready: 3, messages_unacknowledged: 0, consumers: 0, arguments: { 'x-max-length': 100 },
      });
      assert.deepEqual(rowWith(rows, 'name', qBusy), {
        ...common, name: qBusy, messages: 2, messages_ready: 0, messages_unacknowledged: 2, consumers: 1, arguments: {},
      });
    });

    test('-s: no informational line and no header; a missing value is a blank cell', async () => {
      const run = await ctl(['list_queues', 'name', 'policy', 'durable', 'memory', '-s']);
      expectExit(run, EXIT.OK);
      assert.equal(run.stderr, '');
      assert.doesNotMatch(run.stdout, /^name /m);
      assert.match(run.stdout, new RegExp(`^${esc(qReady)} +false +\\d+$`, 'm'));
    });

    test('list_exchanges: name and type by default; --no-table-headers', async () => {
      const table = await ctl(['list_exchanges', '--no-table-headers']);
      expectExit(table, EXIT.OK, /^Listing exchanges in vhost \/ \.\.\.$/m);
      assert.doesNotMatch(table.stdout, /^name +type$/m);
      assert.match(table.stdout, new RegExp(`^${esc(xTopic)} +topic$`, 'm'));
      assert.match(table.stdout, /^amq\.fanout +fanout$/m);
    });

    test("list_bindings: rabbitmqctl's columns by default, the API's field names on request", async () => {
      const [rows, table] = await Promise.all([
        ctlJson(['list_bindings']),
        ctl(['list_bindings', 'source', 'destination', 'destination_type', 'routing_key']),
      ]);
      assert.deepEqual(rowWith(rows, 'source_name', xTopic), {
        source_name: xTopic, source_kind: 'exchange', destination_name: qReady, destination_kind: 'queue', routing_key: 'a.#', arguments: {},
      });
      // every queue is bound to the default exchange under its own name
      assert.ok(rows.some((r) => r.source_name === '' && r.destination_name === qReady && r.routing_key === qReady));
      expectExit(table, EXIT.OK);
      assert.match(table.stdout, /^source +destination +destination_type +routing_key$/m);
      assert.match(table.stdout, new RegExp(`^${esc(xTopic)} +${esc(qReady)} +queue +a\\.#$`, 'm'));
    });

    test('list_connections: default columns, and a dotted path into client_properties', async () => {
      const rows = await ctlJson(['list_connections', 'user', 'vhost', 'client_properties.connection_name', 'state', 'protocol']);
      assert.deepEqual(rowWith(rows, 'client_properties.connection_name', connName), {
        user: 'guest', vhost: '/', 'client_properties.connection_name': connName, state: 'running', protocol: 'AMQP 0-9-1',
      });
      const run = await ctl(['list_connections']);
      expectExit(run, EXIT.OK, /^Listing connections \.\.\.$/m);
      assert.match(run.stdout, /^user +peer_host +peer_port +state$/m);
      assert.match(run.stdout, /^guest +\S+ +\d+ +running$/m);
    });

    test("list_consumers: rabbitmqctl's default columns, and a table of chosen ones", async () => {
      const row = rowWith(await ctlJson(['list_consumers']), 'consumer_tag', tag);
      assert.ok(row, 'the consumer is listed');
      assert.equal(typeof row.channel_pid, 'string');
      assert.deepEqual(
        { ...row, channel_pid: '' },
        { queue_name: qBusy, channel_pid: '', consumer_tag: tag, ack_required: true, prefetch_count: 5, active: true, activity_status: 'up', arguments: {} },
      );
      const run = await ctl(['list_consumers', 'queue_name', 'consumer_tag', 'prefetch_count']);
      expectExit(run, EXIT.OK, /^Listing consumers in vhost \/ \.\.\.$/m);
      assert.match(run.stdout, new RegExp(`^${esc(qBusy)} +${esc(tag)} +5$`, 'm'));
    });

    test('-p with a missing vhost exits 67', async () => {
      const run = await ctl(['list_queues', '-p', NO_VHOST]);
      expectExit(run, EXIT.NOT_FOUND, new RegExp(`^Error: vhost '${esc(NO_VHOST)}' not found$`, 'm'));
    });
  });

  suite('queues', () => {
    const qPurge = `${ID}.purge`;
    const qFull = `${ID}.full`;
    const qUsed = `${ID}.used`;

    before(async () => {
      cleanup(queuePath(qPurge), queuePath(qFull), queuePath(qUsed));
      const conn = await amqp.connect(target().amqpUrl);
      track(conn);
      const ch = await conn.createConfirmChannel();
      for (const q of [qPurge, qFull, qUsed]) await ch.assertQueue(q, { durable: false });
      for (const body of ['p1', 'p2', 'p3']) ch.sendToQueue(qPurge, Buffer.from(body));
      ch.sendToQueue(qFull, Buffer.from('f'));
      await ch.waitForConfirms();
      await ch.consume(qUsed, () => {});
    });

    test('purge_queue removes the ready messages', async () => {
      const run = await ctl(['purge_queue', qPurge]);
      expectExit(run, EXIT.OK, new RegExp(`^Purging queue '${esc(qPurge)}' in vhost '/' \\.\\.\\.$`, 'm'));
      assert.equal(run.stdout, '');
      await untilApi('the purged queue empty', async () => (await apiGet(queuePath(qPurge))).messages === 0);
    });

    test('purge_queue of a missing queue, or in a missing vhost, exits 67 naming what is missing', async () => {
      const [queue, vhost] = await Promise.all([ctl(['purge_queue', `${ID}.nothing`]), ctl(['purge_queue', '-p', NO_VHOST, 'q'])]);
      expectExit(queue, EXIT.NOT_FOUND, new RegExp(`^Error: queue '${esc(ID)}\\.nothing' in vhost '/' not found$`, 'm'));
      expectExit(vhost, EXIT.NOT_FOUND, new RegExp(`^Error: vhost '${esc(NO_VHOST)}' not found$`, 'm'));
    });

    test('delete_queue --if-empty refuses a queue with messages, --if-unused one with consumers: 65', async () => {
      const [full, used] = await Promise.all([ctl(['delete_queue', qFull, '--if-empty']), ctl(['delete_queue', '--if-unused', qUsed])]);
      expectExit(full, EXIT.DATA, new RegExp(`^Error: queue not deleted: queue '${esc(qFull)}' in vhost '/' not empty$`, 'm'));
      expectExit(used, EXIT.DATA, new RegExp(`^Error: queue not deleted: queue '${esc(qUsed)}' in vhost '/' in use$`, 'm'));
      await apiGet(queuePath(qFull)); // still there
    });

    test('delete_queue deletes; deleting it again exits 67', async () => {
      expectExit(await ctl(['delete_queue', qFull]), EXIT.OK, new RegExp(`Deleting queue '${esc(qFull)}'`));
      assert.equal((await target().request('GET', queuePath(qFull))).status, 404);
      expectExit(await ctl(['delete_queue', qFull]), EXIT.NOT_FOUND, new RegExp(`^Error: queue '${esc(qFull)}' in vhost '/' not found$`, 'm'));
    });
  });
});
