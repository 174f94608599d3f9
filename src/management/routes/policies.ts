// /api/policies (policymakers, in vhosts they have permissions on) and /api/definitions
// (administrators): RabbitMQ's definitions format, both ways.
import { DefinitionsError, importDefinitions } from '../../broker/definitions-import.js';
import { exportDefinitions } from '../../broker/definitions-export.js';
import { parsePolicy, PolicyError } from '../../broker/policies.js';
import { created, noContent, objectBody, type Api, type Call } from '../api.js';
import { badRequest, notFound } from '../http-error.js';
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
    const vh = vhostOf(api, call);
    call.user.requireVhostAccess(vh.name);
    const existed = vh.policies.get(call.params.name) !== undefined;
    let policy;
    try {
      policy = parsePolicy(vh.name, call.params.name, objectBody(call.body));
    } catch (err) {
      if (err instanceof PolicyError) throw badRequest(err.message.trimEnd());
      throw err;
    }
    vh.setPolicy(policy);
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
  api.get('/api/definitions', 'administrator', () => exportDefinitions(ctx.broker, ctx.version));
  api.get('/api/definitions/:vhost', 'administrator', (call) => exportDefinitions(ctx.broker, ctx.version, vhostOf(api, call).name));
  const importing = (call: Call, vhost?: string) => {
    try {
      importDefinitions(ctx.broker, definitionsBody(call.body), undefined, vhost);
    } catch (err) {
      if (err instanceof DefinitionsError) throw badRequest(err.message);
      throw err;
    }
    return created();
  };
  api.post('/api/definitions', 'administrator', (call) => importing(call));
  api.post('/api/definitions/:vhost', 'administrator', (call) => importing(call, vhostOf(api, call).name));
}

/** The UI and rabbitmqadmin may post the file as a form field named "file" holding the JSON text. */
function definitionsBody(body: unknown): unknown {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const file = (body as { file?: unknown }).file;
    if (typeof file === 'string' && Object.keys(body).length === 1) {
      try {
        return JSON.parse(file);
      } catch (err) {
        throw badRequest(`the definitions file is not valid JSON: ${(err as Error).message}`);
      }
    }
  }
  return body;
}
