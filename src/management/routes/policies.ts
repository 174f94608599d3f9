// /api/policies (policymakers, in vhosts they have permissions on) and /api/definitions
// (administrators): RabbitMQ's definitions format, both ways.
import { DefinitionsError, importDefinitions } from '../../broker/definitions-import.js';
import { exportDefinitions } from '../../broker/definitions-export.js';
import { parsePolicy, PolicyError } from '../../broker/policies.js';
import type { Broker } from '../../broker/broker.js';
import { created, noContent, Reply, type Api, type Call } from '../api.js';
import { badRequest, HttpError, notFound, notFoundNamed } from '../http-error.js';
import type { Json } from '../json-fields.js';
import { vhostOf, vhostsOf } from '../lookup.js';
import { listResponse } from '../paging.js';
import { policyView } from '../views.js';

export function policyRoutes(api: Api): void {
  const ctx = api.ctx;
  const list = (call: Call) =>
    listResponse(
      call.query,
      vhostsOf(api, call).flatMap((vh) => vh.policies.list()),
      policyView,
      (p) => p.name,
      (p) => p.vhost,
    );
  api.get('/api/policies', 'management', list);
  api.get('/api/policies/:vhost', 'management', list);
  api.get('/api/policies/:vhost/:name', 'management', (call) => {
    const p = vhostOf(api, call).policies.get(call.params.name);
    if (!p) throw notFound();
    return policyView(p);
  });
  api.put('/api/policies/:vhost/:name', 'policymaker', (call) => {
    const vh = ctx.broker.vhosts.get(call.params.vhost);
    if (!vh) throw notFoundNamed('vhost_not_found');
    call.user.requireVhostAccess(vh.name);
    const body = call.body;
    const missing = ['pattern', 'definition'].filter((k) => body[k] === undefined);
    if (missing.length > 0) throw badRequest(`[${missing.map((k) => `{key_missing,${k}}`).join(',')}]`);
    const existed = vh.policies.get(call.params.name) !== undefined;
    vh.setPolicy(validPolicy(vh.name, call.params.name, body));
    return existed ? noContent() : created();
  });
  api.delete('/api/policies/:vhost/:name', 'policymaker', (call) => {
    const vh = vhostOf(api, call);
    call.user.requireVhostAccess(vh.name);
    if (!vh.clearPolicy(call.params.name)) throw notFound();
    return noContent();
  });
  api.get('/api/operator-policies', 'management', () => []);
  api.get('/api/parameters', 'management', () => []);
  api.get('/api/global-parameters', 'administrator', () => []);

  // ---- definitions ----
  const download = (call: Call, body: Json): Json | Reply => {
    const file = call.query.download;
    if (file === undefined || file === '') return body;
    return new Reply(200, body, { 'content-disposition': `attachment; filename=${file}` });
  };
  api.get('/api/definitions', 'administrator', (call) => download(call, exportDefinitions(ctx.broker, ctx.version) as unknown as Json));
  api.get('/api/definitions/:vhost', 'administrator', (call) => {
    // RabbitMQ answers a missing vhost here with 400, not 404.
    if (!ctx.broker.vhosts.has(call.params.vhost)) throw badRequest('vhost_not_found');
    return download(call, exportDefinitions(ctx.broker, ctx.version, call.params.vhost) as unknown as Json);
  });
  const importing = (call: Call, vhost?: string) => {
    const defs = definitionsBody(call.text);
    if (vhost !== undefined) {
      // Into the vhost of the path, whatever vhost the entries name.
      for (const key of VHOST_SECTIONS) {
        const list = defs[key];
        if (Array.isArray(list)) defs[key] = list.map((e) => (isObject(e) ? { ...e, vhost } : e));
      }
    }
    checkVhostsAndPolicies(ctx.broker, defs);
    const before = new Set(ctx.broker.vhosts.keys());
    try {
      importDefinitions(ctx.broker, defs, undefined, vhost);
    } catch (err) {
      if (err instanceof DefinitionsError) throw badRequest(err.message);
      throw err;
    }
    // As RabbitMQ: whoever creates a vhost (here by importing it) gets full permissions on it.
    for (const name of ctx.broker.vhosts.keys()) {
      if (!before.has(name) && !ctx.broker.permission(name, call.user.name)) {
        ctx.broker.setPermission({ vhost: name, user: call.user.name, configure: '.*', write: '.*', read: '.*' });
      }
    }
    return noContent();
  };
  api.post('/api/definitions', 'administrator', (call) => importing(call));
  api.post('/api/definitions/:vhost', 'administrator', (call) => {
    if (!ctx.broker.vhosts.has(call.params.vhost)) throw notFoundNamed('vhost_not_found');
    return importing(call, call.params.vhost);
  });
}

/** Sections whose entries belong to a vhost. */
const VHOST_SECTIONS = ['queues', 'exchanges', 'bindings', 'policies', 'parameters', 'permissions'];

function isObject(v: unknown): v is { [key: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * What RabbitMQ checks before importing anything: every entry names a vhost that exists or is
 * imported (["no_such_vhost", name]; an entry without one names "undefined"), and every policy is valid.
 */
function checkVhostsAndPolicies(broker: Broker, defs: { [key: string]: unknown }): void {
  const vhosts = new Set(broker.vhosts.keys());
  if (Array.isArray(defs.vhosts)) for (const v of defs.vhosts) if (isObject(v) && typeof v.name === 'string') vhosts.add(v.name);
  for (const key of VHOST_SECTIONS) {
    const list = defs[key];
    if (!Array.isArray(list)) continue;
    for (const e of list) {
      if (!isObject(e)) continue;
      const name = typeof e.vhost === 'string' ? e.vhost : 'undefined';
      if (!vhosts.has(name) || e.vhost === undefined) throw badRequest(['no_such_vhost', name]);
    }
  }
  if (Array.isArray(defs.policies)) {
    for (const p of defs.policies) {
      if (!isObject(p)) continue;
      const name = typeof p.name === 'string' ? p.name : 'undefined';
      try {
        validPolicy(p.vhost as string, name, p);
      } catch (err) {
        if (err instanceof HttpError && typeof err.reason === 'string') throw badRequest(`${err.reason} (${p.vhost}/${name})`);
        throw err;
      }
    }
  }
}

/** A policy from a request, refused as RabbitMQ words it (Erlang terms HTML-escaped, as its API does). */
function validPolicy(vhost: string, name: string, body: unknown) {
  try {
    return parsePolicy(vhost, name, body);
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    const text = err.message
      .replace(/ \(Warren supports [^)]*\)/, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;');
    throw badRequest(text);
  }
}

/**
 * The definitions of a POST: a JSON object (400 failed_to_parse_json otherwise). The UI and
 * rabbitmqadmin may post the file as a form field named "file" holding the JSON text.
 */
function definitionsBody(text: string): { [key: string]: unknown } {
  const parse = (t: string): { [key: string]: unknown } => {
    let v: unknown;
    try {
      v = t.trim() === '' ? {} : JSON.parse(t);
    } catch {
      throw badRequest('failed_to_parse_json');
    }
    if (!isObject(v)) throw badRequest('failed_to_parse_json');
    return v;
  };
  const body = parse(text);
  const file = body.file;
  if (typeof file === 'string' && Object.keys(body).length === 1) return parse(file);
  return body;
}
