// `warren ctl`, run as a real child process against a broker's management HTTP API: users, vhosts,
// permissions, policies, definitions and status. test/cli/ctl.test.ts covers the rest.
// Against RabbitMQ: WARREN_TEST_MGMT_URL=http://guest:guest@127.0.0.1:15673
//                   WARREN_TEST_URL=amqp://guest:guest@127.0.0.1:5673
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, before, test } from 'node:test';
import amqp from 'amqplib';
import {
  EXIT, ID, NOBODY, NO_VHOST, apiGet, apiPut, cleanup, ctl, ctlJson, enc, esc, expectExit, queuePath, rowWith, suite, target,
  tmp, track, untilApi, useCtlTarget,
} from '../helpers/ctl.js';

useCtlTarget();

describe('warren ctl administration', { concurrency: 4 }, () => {
  suite('users', () => {
    const user = `${ID}-user`;

    /** GET /api/whoami as user:password: its status and the tags it reports. */
    async function whoami(password: string): Promise<{ status: number; tags?: unknown }> {
      const res = await target().request('GET', '/api/whoami', undefined, [user, password]);
      const body = (await res.json().catch(() => ({}))) as { tags?: unknown };
      return res.status === 200 ? { status: 200, tags: body.tags } : { status: res.status };
    }

    test('add_user creates a user without tags; adding it again exits 65', async () => {
      cleanup(`/api/users/${enc(user)}`);
      expectExit(await ctl(['add_user', user, 'first-pw']), EXIT.OK, new RegExp(`^Adding user '${esc(user)}' \\.\\.\\.$`, 'm'));
      const [rows, again] = await Promise.all([ctlJson(['list_users']), ctl(['add_user', user, 'other-pw'])]);
      assert.deepEqual(rowWith(rows, 'user', user), { user, tags: [] });
      expectExit(again, EXIT.DATA, new RegExp(`^Error: user '${esc(user)}' already exists$`, 'm'));
    });

    test('set_user_tags replaces the tags and keeps the password', async () => {
      expectExit(await ctl(['set_user_tags', user, 'management', 'policymaker']), EXIT.OK);
      assert.deepEqual(await whoami('first-pw'), { status: 200, tags: ['management', 'policymaker'] });
      const run = await ctl(['list_users']);
      expectExit(run, EXIT.OK);
      assert.match(run.stdout, /^user +tags$/m);
      assert.match(run.stdout, new RegExp(`^${esc(user)} +management,policymaker$`, 'm'));
    });

    test('change_password changes the password and keeps the tags', async () => {
      expectExit(await ctl(['change_password', user, 'second-pw']), EXIT.OK);
      assert.equal((await whoami('first-pw')).status, 401);
      assert.deepEqual(await whoami('second-pw'), { status: 200, tags: ['management', 'policymaker'] });
    });

    test('set_user_tags of a missing user exits 67', async () => {
      const run = await ctl(['set_user_tags', NOBODY, 'management']);
      expectExit(run, EXIT.NOT_FOUND, new RegExp(`^Error: user '${esc(NOBODY)}' not found$`, 'm'));
    });

    test('delete_user deletes; deleting again exits 67', async () => {
      expectExit(await ctl(['delete_user', user]), EXIT.OK, new RegExp(`Deleting user '${esc(user)}'`));
      assert.equal((await target().request('GET', `/api/users/${enc(user)}`)).status, 404);
      expectExit(await ctl(['delete_user', user]), EXIT.NOT_FOUND, new RegExp(`^Error: user '${esc(user)}' not found$`, 'm'));
    });
  });

  suite('vhosts and permissions', () => {
    const vhost = `${ID}/perms`; // a slash inside: vhost names must be URL-encoded
    const user = `${ID}-perms-user`;

    before(async () => {
      cleanup(`/api/vhosts/${enc(vhost)}`, `/api/users/${enc(user)}`);
      await apiPut(`/api/users/${enc(user)}`, { password: 'pw', tags: '' });
    });

    test('add_vhost creates, list_vhosts lists, delete_vhost deletes', async () => {
      expectExit(await ctl(['add_vhost', vhost]), EXIT.OK, new RegExp(`^Adding vhost '${esc(vhost)}' \\.\\.\\.$`, 'm'));
      const table = await ctl(['list_vhosts', 'name', 'tracing']);
      expectExit(table, EXIT.OK, /^Listing vhosts \.\.\.$/m);
      assert.match(table.stdout, /^name +tracing$/m);
      assert.match(table.stdout, new RegExp(`^${esc(vhost)} +false$`, 'm'));
      assert.match(table.stdout, /^\/ +false$/m);

      const gone = `${ID}-gone`;
      cleanup(`/api/vhosts/${enc(gone)}`);
      await apiPut(`/api/vhosts/${enc(gone)}`);
      expectExit(await ctl(['delete_vhost', gone]), EXIT.OK);
      expectExit(await ctl(['delete_vhost', gone]), EXIT.NOT_FOUND, new RegExp(`^Error: vhost '${esc(gone)}' not found$`, 'm'));
    });

    test('set_permissions, list_permissions, list_user_permissions, clear_permissions', async () => {
      // RabbitMQ gives the user who creates a vhost through the API (guest, in add_vhost above) full
      // permissions in it.
      const creator = { user: 'guest', configure: '.*', write: '.*', read: '.*' };
      const granted = { user, configure: '^conf', write: '^write', read: '^read' };
      const byUser = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => String(a.user).localeCompare(String(b.user)));
      expectExit(await ctl(['set_permissions', '-p', vhost, user, '^conf', '^write', '^read']), EXIT.OK);
      const [perVhost, perUser, table] = await Promise.all([
        ctlJson(['list_permissions', '-p', vhost]),
        ctlJson(['list_user_permissions', user]),
        ctl(['list_permissions', '-p', vhost]),
      ]);
      assert.deepEqual(byUser(perVhost), byUser([creator, granted]));
      assert.deepEqual(perUser, [{ vhost, configure: '^conf', write: '^write', read: '^read' }]);
      expectExit(table, EXIT.OK, new RegExp(`^Listing permissions in vhost '${esc(vhost)}' \\.\\.\\.$`, 'm'));
      const [header, ...rows] = table.stdout.trimEnd().split('\n');
      assert.match(header!, /^user +configure +write +read$/);
      const row = rows.find((line) => line.startsWith(`${user} `)) ?? '';
      assert.match(row, new RegExp(`^${esc(user)} +\\^conf +\\^write +\\^read$`));
      assert.equal(row.indexOf('^conf'), header!.indexOf('configure'));
      assert.equal(row.indexOf('^read'), header!.indexOf('read'));

      expectExit(await ctl(['clear_permissions', '-p', vhost, user]), EXIT.OK);
      assert.deepEqual(await apiGet(`/api/vhosts/${enc(vhost)}/permissions`), [{ ...creator, vhost }]);
      // nothing left to clear is not an error, as with rabbitmqctl
      expectExit(await ctl(['clear_permissions', '-p', vhost, user]), EXIT.OK);
    });

    test('permissions of a missing user or vhost exit 67 naming the missing one', async () => {
      const [setUser, setVhost, clearUser] = await Promise.all([
        ctl(['set_permissions', '-p', vhost, NOBODY, '.*', '.*', '.*']),
        ctl(['set_permissions', '-p', NO_VHOST, user, '.*', '.*', '.*']),
        ctl(['clear_permissions', '-p', vhost, NOBODY]),
      ]);
      const userMissing = new RegExp(`^Error: user '${esc(NOBODY)}' not found$`, 'm');
      expectExit(setUser, EXIT.NOT_FOUND, userMissing);
      expectExit(setVhost, EXIT.NOT_FOUND, new RegExp(`^Error: vhost '${esc(NO_VHOST)}' not found$`, 'm'));
      expectExit(clearUser, EXIT.NOT_FOUND, userMissing);
    });
  });

  suite('policies', () => {
    const vhost = `${ID}-policies`;
    const policy = `${ID}-policy`;

    before(async () => {
      cleanup(`/api/vhosts/${enc(vhost)}`);
      await apiPut(`/api/vhosts/${enc(vhost)}`);
      await apiPut(`/api/permissions/${enc(vhost)}/guest`, { configure: '.*', write: '.*', read: '.*' });
    });

    test('set_policy with --priority and --apply-to, list_policies, and the policy applies to a queue', async () => {
      const run = await ctl(['set_policy', '-p', vhost, '--priority', '3', '--apply-to', 'queues', policy, '^limited\\.', '{"max-length":5}']);
      expectExit(run, EXIT.OK, new RegExp(`^Setting policy '${esc(policy)}'`, 'm'));
      const [rows, table] = await Promise.all([
        ctlJson(['list_policies', '-p', vhost]),
        ctl(['list_policies', '-p', vhost, 'name', 'pattern', 'definition', 'priority']),
      ]);
      assert.deepEqual(rows, [{ vhost, name: policy, pattern: '^limited\\.', 'apply-to': 'queues', definition: { 'max-length': 5 }, priority: 3 }]);
      expectExit(table, EXIT.OK);
      assert.match(table.stdout, new RegExp(`^${esc(policy)} +\\^limited\\\\\\. +\\{"max-length":5\\} +3$`, 'm'));

      const url = new URL(target().amqpUrl);
      url.pathname = `/${enc(vhost)}`;
      const conn = await amqp.connect(url.href);
      track(conn);
      await (await conn.createChannel()).assertQueue('limited.q', { durable: false });
      await untilApi('the policy on the queue', async () => (await apiGet(queuePath('limited.q', vhost))).policy === policy);
      const queues = await ctlJson(['list_queues', '-p', vhost, 'name', 'policy', 'effective_policy_definition']);
      assert.deepEqual(queues, [{ name: 'limited.q', policy, effective_policy_definition: { 'max-length': 5 } }]);
    });

    test('a definition the broker refuses exits 65 with its reason, readable', async () => {
      const run = await ctl(['set_policy', '-p', vhost, policy, '^x', '{"max-length":"ten"}']);
      expectExit(run, EXIT.DATA, /^Error: the broker refused the request: .*(maximum length|max-length)/m);
      assert.doesNotMatch(run.stderr, /&lt;|&gt;/, 'HTML escapes are undone');
    });

    test('clear_policy deletes; a missing policy or vhost exits 67', async () => {
      expectExit(await ctl(['clear_policy', '-p', vhost, policy]), EXIT.OK, new RegExp(`Clearing policy '${esc(policy)}'`));
      assert.deepEqual(await apiGet(`/api/policies/${enc(vhost)}`), []);
      const [again, noVhost] = await Promise.all([
        ctl(['clear_policy', '-p', vhost, policy]),
        ctl(['set_policy', '-p', NO_VHOST, policy, '^x', '{"max-length":1}']),
      ]);
      expectExit(again, EXIT.NOT_FOUND, new RegExp(`^Error: policy '${esc(policy)}' in vhost '${esc(vhost)}' not found$`, 'm'));
      expectExit(noVhost, EXIT.NOT_FOUND, new RegExp(`^Error: vhost '${esc(NO_VHOST)}' not found$`, 'm'));
    });
  });

  suite('definitions and status', () => {
    const vhost = `${ID}-definitions`;
    const queue = `${ID}.imported`;

    before(() => {
      cleanup(`/api/vhosts/${enc(vhost)}`);
    });

    test('import_definitions creates what a file describes; "-" reads standard input', async () => {
      const file = join(tmp(), 'import.json');
      writeFileSync(
        file,
        JSON.stringify({
          vhosts: [{ name: vhost }],
          queues: [{ name: queue, vhost, durable: true, auto_delete: false, arguments: { 'x-max-length': 7 } }],
        }),
      );
      expectExit(await ctl(['import_definitions', file]), EXIT.OK, /^Importing definitions from .*import\.json \.\.\.$/m);
      const imported = await apiGet(queuePath(queue, vhost));
      assert.deepEqual([imported.durable, imported.arguments], [true, { 'x-max-length': 7 }]);

      const policies = { policies: [{ vhost, name: 'from-stdin', pattern: '^x', 'apply-to': 'all', definition: { 'max-length': 2 }, priority: 0 }] };
      expectExit(await ctl(['import_definitions', '-'], {}, JSON.stringify(policies)), EXIT.OK);
      assert.deepEqual((await apiGet<{ name: string }[]>(`/api/policies/${enc(vhost)}`)).map((p) => p.name), ['from-stdin']);
    });

    test('export_definitions writes JSON to a file, or to standard output with -', async () => {
      const file = join(tmp(), 'export.json');
      const [toFile, toStdout] = await Promise.all([ctl(['export_definitions', file]), ctl(['export_definitions', '-', '-q'])]);
      expectExit(toFile, EXIT.OK, /^Exporting definitions to .*export\.json \.\.\.$/m);
      assert.equal(toFile.stdout, '');
      const definitions = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      for (const key of ['users', 'vhosts', 'permissions', 'policies', 'queues', 'exchanges', 'bindings']) {
        assert.ok(Array.isArray(definitions[key]), key);
      }
      assert.ok((definitions.queues as { name: string; vhost: string }[]).some((q) => q.name === queue && q.vhost === vhost));
      expectExit(toStdout, EXIT.OK);
      assert.equal(toStdout.stderr, '');
      assert.ok((JSON.parse(toStdout.stdout) as { vhosts: { name: string }[] }).vhosts.some((v) => v.name === vhost));
    });

    test('unreadable file 66; not JSON 65; refused by the broker 65; unwritable export 73', async () => {
      const notJson = join(tmp(), 'not.json');
      writeFileSync(notJson, '{"queues": [');
      const refused = join(tmp(), 'refused.json');
      writeFileSync(refused, JSON.stringify({ queues: [{ name: 'q', vhost: NO_VHOST, durable: true, auto_delete: false, arguments: {} }] }));
      const [missing, invalid, rejected, unwritable] = await Promise.all([
        ctl(['import_definitions', join(tmp(), 'missing.json')]),
        ctl(['import_definitions', notJson]),
        ctl(['import_definitions', refused]),
        ctl(['export_definitions', join(tmp(), 'no-such-dir', 'x.json')]),
      ]);
      expectExit(missing, EXIT.NO_INPUT, /^Error: cannot read .*missing\.json: ENOENT/m);
      expectExit(invalid, EXIT.DATA, /^Error: .*not\.json is not valid JSON/m);
      expectExit(rejected, EXIT.DATA, new RegExp(`^Error: the broker refused the request: .*${esc(NO_VHOST)}`, 'm'));
      expectExit(unwritable, EXIT.CANT_CREATE, /^Error: cannot write .*x\.json/m);
    });

    test('status: a table for people, an object for scripts', async () => {
      const [table, status] = await Promise.all([ctl(['status']), ctlJson<Record<string, unknown>>(['status'])]);
      expectExit(table, EXIT.OK, /^Status of the broker at /m);
      for (const label of ['product', 'node', 'connections', 'queues', 'listeners']) {
        assert.match(table.stdout, new RegExp(`^${label} +\\S`, 'm'), label);
      }
      assert.equal(typeof status.product_name, 'string');
      assert.equal(typeof status.product_version, 'string');
      assert.equal(typeof (status.object_totals as { queues?: unknown }).queues, 'number');
      assert.ok(Array.isArray(status.listeners));
    });
  });
});
