// /api/vhosts, /api/users, /api/permissions, /api/whoami: who may connect, to what, and do what.
import type { Broker } from '../../broker/broker.js';
import { DEFAULT_HASHING, hashPassword, invalidPattern, parseTags } from '../../broker/users.js';
import { created, noContent, type Api, type Call } from '../api.js';
import { badRequest, notFound } from '../http-error.js';
import { vhostOf, visibleVhosts } from '../lookup.js';
import type { Json } from '../json-fields.js';
import { listResponse, plainList } from '../paging.js';
import { permissionView, userView, vhostView } from '../views.js';

export function accessRoutes(api: Api): void {
  const ctx = api.ctx;
  const broker = ctx.broker;

  api.get('/api/whoami', 'management', (call) => ({ name: call.user.name, tags: call.user.user.tags }));

  // ---- vhosts ----
  api.get('/api/vhosts', 'management', (call) => listResponse(call.query, visibleVhosts(api, call), (vh) => vhostView(ctx, vh), (vh) => vh.name));
  api.get('/api/vhosts/:vhost', 'management', (call) => vhostView(ctx, vhostOf(api, call)));
  api.put('/api/vhosts/:vhost', 'administrator', (call) => {
    const body = call.body;
    const name = call.params.vhost;
    const existed = broker.vhosts.has(name);
    const dqt = body.default_queue_type;
    if (dqt !== undefined && dqt !== 'classic' && dqt !== 'quorum') throw badRequest(`default_queue_type must be classic or quorum, not ${JSON.stringify(dqt)}`);
    if (body.description !== undefined && typeof body.description !== 'string') throw badRequest(['not_string', 'description']);
    broker.addVhost(name, {
      ...(typeof body.description === 'string' ? { description: body.description } : {}),
      ...(body.tags !== undefined ? { tags: parseTags(body.tags) } : {}),
      ...(dqt !== undefined ? { defaultQueueType: dqt as string } : {}),
      ...(typeof body.tracing === 'boolean' ? { tracing: body.tracing } : {}),
    });
    // As RabbitMQ does: whoever creates a vhost gets full permissions on it.
    if (!existed) broker.setPermission({ vhost: name, user: call.user.name, configure: '.*', write: '.*', read: '.*' });
    return existed ? noContent() : created();
  });
  api.delete('/api/vhosts/:vhost', 'administrator', (call) => {
    if (!broker.deleteVhost(call.params.vhost)) throw notFound();
    return noContent();
  });
  api.get('/api/vhosts/:vhost/permissions', 'administrator', (call) => permissionsOf(broker, { vhost: vhostOf(api, call).name }));

  // ---- users ----
  // RabbitMQ pages no user list; columns still apply.
  api.get('/api/users', 'administrator', (call) => plainList(call.query, [...broker.users.values()], userView));
  api.get('/api/users/without-permissions', 'administrator', (call) =>
    plainList(
      call.query,
      [...broker.users.values()].filter((u) => permissionsOf(broker, { user: u.name }).length === 0),
      userView,
    ),
  );
  api.get('/api/users/:user', 'administrator', (call) => {
    const u = broker.users.get(call.params.user);
    if (!u) throw notFound();
    return userView(u);
  });
  api.put('/api/users/:user', 'administrator', (call) => {
    const body = call.body;
    const name = call.params.user;
    const existing = broker.users.get(name);
    if (body.tags === undefined) throw badRequest('tags_not_present');
    const tags = parseTags(body.tags);
    const { password, password_hash: hash } = body;
    if (password !== undefined && hash !== undefined) throw badRequest('both_password_and_password_hash_are_provided');
    let passwordHash: string;
    let hashingAlgorithm: string = DEFAULT_HASHING;
    if (password !== undefined) {
      if (typeof password !== 'string') throw badRequest(['not_string', 'password']);
      passwordHash = hashPassword(password);
    } else if (hash !== undefined) {
      if (typeof hash !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(hash) || hash.length % 4 !== 0) throw badRequest(['not_base64', hash as Json]);
      passwordHash = hash;
      // stored as given, even a name Warren cannot hash with (that user then cannot log in)
      if (typeof body.hashing_algorithm === 'string') hashingAlgorithm = body.hashing_algorithm;
    } else {
      // Tags only: an existing user keeps its password; a new one has none (and cannot log in with one).
      passwordHash = existing?.passwordHash ?? '';
      hashingAlgorithm = existing?.hashingAlgorithm ?? DEFAULT_HASHING;
    }
    broker.putUser({ name, passwordHash, hashingAlgorithm, tags });
    return existing ? noContent() : created();
  });
  api.delete('/api/users/:user', 'administrator', (call) => {
    if (!broker.deleteUser(call.params.user)) throw notFound();
    return noContent();
  });
  api.post('/api/users/bulk-delete', 'administrator', (call) => {
    const users = call.body.users;
    if (!Array.isArray(users)) throw badRequest('users must be a list of user names');
    for (const u of users) if (typeof u === 'string') broker.deleteUser(u);
    return noContent();
  });
  api.get('/api/users/:user/permissions', 'administrator', (call) => {
    if (!broker.users.has(call.params.user)) throw notFound();
    return permissionsOf(broker, { user: call.params.user });
  });
  api.get('/api/users/:user/topic-permissions', 'administrator', (call) => {
    if (!broker.users.has(call.params.user)) throw notFound();
    return [];
  });

  // ---- permissions ----
  api.get('/api/permissions', 'administrator', () => permissionsOf(broker, {}));
  api.get('/api/permissions/:vhost/:user', 'administrator', (call) => {
    const p = broker.permission(call.params.vhost, call.params.user);
    if (!p) throw notFound();
    return permissionView(p);
  });
  api.put('/api/permissions/:vhost/:user', 'administrator', (call) => {
    const { vhost, user } = call.params;
    const body = call.body;
    const missing = ['configure', 'write', 'read'].filter((k) => body[k] === undefined);
    if (missing.length > 0) throw badRequest(`[${missing.map((k) => `{key_missing,${k}}`).join(',')}]`);
    if (!broker.vhosts.has(vhost) || !broker.users.has(user)) throw badRequest('vhost_or_user_not_found');
    const patterns = { configure: body.configure, write: body.write, read: body.read };
    for (const [kind, p] of Object.entries(patterns)) {
      if (typeof p !== 'string') throw badRequest(['not_string', kind]);
      const bad = invalidPattern(p);
      if (bad !== undefined) throw badRequest(['invalid_regexp', p, bad]);
    }
    const existed = broker.permission(vhost, user) !== undefined;
    broker.setPermission({ vhost, user, configure: patterns.configure as string, write: patterns.write as string, read: patterns.read as string });
    return existed ? noContent() : created();
  });
  api.delete('/api/permissions/:vhost/:user', 'administrator', (call) => {
    if (!broker.clearPermission(call.params.vhost, call.params.user)) throw notFound();
    return noContent();
  });
  api.get('/api/topic-permissions', 'administrator', () => []);
}

function permissionsOf(broker: Broker, filter: { vhost?: string; user?: string }) {
  const out = [];
  for (const [vhost, perUser] of broker.permissions) {
    if (filter.vhost !== undefined && vhost !== filter.vhost) continue;
    for (const p of perUser.values()) if (filter.user === undefined || p.user === filter.user) out.push(permissionView(p));
  }
  return out;
}

export type { Call };
