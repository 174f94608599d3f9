// /api/vhosts, /api/users, /api/permissions, /api/whoami: who may connect, to what, and do what.
import type { Broker } from '../../broker/broker.js';
import { userOf } from '../../broker/definitions-import.js';
import { invalidPattern, parseTags } from '../../broker/users.js';
import { DefinitionsError } from '../../broker/definitions-import.js';
import { created, noContent, objectBody, type Api, type Call } from '../api.js';
import { badRequest, notFound } from '../http-error.js';
import { vhostOf, visibleVhosts } from '../lookup.js';
import { listResponse } from '../paging.js';
import { permissionView, userView, vhostView } from '../views.js';

export function accessRoutes(api: Api): void {
  const ctx = api.ctx;
  const broker = ctx.broker;

  api.get('/api/whoami', 'management', (call) => ({ name: call.user.name, tags: call.user.user.tags }));

  // ---- vhosts ----
  api.get('/api/vhosts', 'management', (call) => listResponse(call.query, visibleVhosts(api, call), (vh) => vhostView(ctx, vh), (vh) => vh.name));
  api.get('/api/vhosts/:vhost', 'management', (call) => vhostView(ctx, vhostOf(api, call)));
  api.put('/api/vhosts/:vhost', 'administrator', (call) => {
    const body = objectBody(call.body);
    const name = call.params.vhost;
    const existed = broker.vhosts.has(name);
    const dqt = body.default_queue_type;
    if (dqt !== undefined && dqt !== 'classic' && dqt !== 'quorum') throw badRequest(`default_queue_type must be classic or quorum, not ${JSON.stringify(dqt)}`);
    if (body.description !== undefined && typeof body.description !== 'string') throw badRequest('description must be a string');
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
  api.get('/api/users', 'administrator', (call) => listResponse(call.query, [...broker.users.values()], userView, (u) => u.name));
  api.get('/api/users/without-permissions', 'administrator', () =>
    [...broker.users.values()].filter((u) => permissionsOf(broker, { user: u.name }).length === 0).map(userView),
  );
  api.get('/api/users/:user', 'administrator', (call) => {
    const u = broker.users.get(call.params.user);
    if (!u) throw notFound();
    return userView(u);
  });
  api.put('/api/users/:user', 'administrator', (call) => {
    const body = objectBody(call.body);
    const name = call.params.user;
    const existing = broker.users.get(name);
    if (body.password === undefined && body.password_hash === undefined && existing) {
      // only the tags change
      broker.putUser({ ...existing, tags: parseTags(body.tags) });
      return noContent();
    }
    if (body.password !== undefined && typeof body.password !== 'string') throw badRequest('password must be a string');
    if (body.tags === undefined) throw badRequest('tags are required (a comma-separated string or a list; may be empty)');
    let user;
    try {
      user = userOf(body, name);
    } catch (err) {
      if (err instanceof DefinitionsError) throw badRequest(err.message);
      throw err;
    }
    broker.putUser(user);
    return existing ? noContent() : created();
  });
  api.delete('/api/users/:user', 'administrator', (call) => {
    if (!broker.deleteUser(call.params.user)) throw notFound();
    return noContent();
  });
  api.post('/api/users/bulk-delete', 'administrator', (call) => {
    const users = objectBody(call.body).users;
    if (!Array.isArray(users)) throw badRequest('users must be a list of user names');
    for (const u of users) if (typeof u === 'string') broker.deleteUser(u);
    return noContent();
  });
  api.get('/api/users/:user/permissions', 'administrator', (call) => {
    if (!broker.users.has(call.params.user)) throw notFound();
    return permissionsOf(broker, { user: call.params.user });
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
    if (!broker.vhosts.has(vhost)) throw badRequest(`vhost_not_found: no vhost '${vhost}'`);
    if (!broker.users.has(user)) throw badRequest(`user_not_found: no user '${user}'`);
    const body = objectBody(call.body);
    const patterns = { configure: body.configure, write: body.write, read: body.read };
    for (const [kind, p] of Object.entries(patterns)) {
      if (typeof p !== 'string') throw badRequest(`${kind} is required: a regular expression ('' grants nothing)`);
      const bad = invalidPattern(p);
      if (bad !== undefined) throw badRequest(`${kind} is not a valid regular expression: ${bad}`);
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
