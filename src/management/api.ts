// Route table and dispatch for the management API. Warren routes /api itself (one fastify catch-all)
// because RabbitMQ answers in an order fastify's router cannot express: the path first (404 for an
// unknown one, even without credentials), then the method (405 with Allow, empty body), then the
// credentials (401), then the user's tags and the handler. Errors become RabbitMQ's JSON bodies.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticate, type Level, type Principal } from './auth.js';
import type { ManagementContext } from './context.js';
import { fromModelError, HttpError } from './http-error.js';
import type { Json } from './json-fields.js';
import { columnsOf, projectColumns } from './paging.js';

export class Reply {
  constructor(
    readonly status: number,
    readonly body?: Json,
    readonly headers: Record<string, string> = {},
  ) {}
}

export const created = (headers: Record<string, string> = {}) => new Reply(201, undefined, headers);
export const noContent = () => new Reply(204);

export type Params = Record<string, string>;
export type Query = Record<string, string | undefined>;

export interface Call {
  params: Params;
  query: Query;
  /** The request body parsed as a JSON object ({} when empty); 400 not_json otherwise. */
  readonly body: { [key: string]: unknown };
  /** The request body as sent. */
  text: string;
  headers: FastifyRequest['headers'];
  user: Principal;
}

type Handler = (call: Call) => Json | Reply | void | Promise<Json | Reply | void>;
type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

interface Pattern {
  /** literal segments, or ':name' for a parameter */
  segments: string[];
  handlers: Map<Method, { level: Level; handler: Handler }>;
}

const REALM = 'Basic realm="RabbitMQ Management"';
/** The order RabbitMQ lists methods in an Allow header. */
const ALLOW_ORDER = ['HEAD', 'GET', 'PUT', 'POST', 'DELETE', 'OPTIONS'];

export class Api {
  /** Patterns by their number of segments, so a request is compared with few of them. */
  private readonly patterns = new Map<number, Pattern[]>();

  constructor(readonly ctx: ManagementContext) {}

  get(path: string, level: Level, handler: Handler): void {
    this.route('GET', path, level, handler);
  }

  put(path: string, level: Level, handler: Handler): void {
    this.route('PUT', path, level, handler);
  }

  post(path: string, level: Level, handler: Handler): void {
    this.route('POST', path, level, handler);
  }

  delete(path: string, level: Level, handler: Handler): void {
    this.route('DELETE', path, level, handler);
  }

  private route(method: Method, path: string, level: Level, handler: Handler): void {
    const segments = path.split('/').slice(1);
    let list = this.patterns.get(segments.length);
    if (!list) this.patterns.set(segments.length, (list = []));
    let p = list.find((x) => x.segments.join('/') === segments.join('/'));
    if (!p) list.push((p = { segments, handlers: new Map() }));
    p.handlers.set(method, { level, handler });
  }

  /** The most specific pattern matching the path (literal segments beat parameters, leftmost first). */
  private match(segments: string[]): { pattern: Pattern; params: Params } | undefined {
    let best: Pattern | undefined;
    let bestScore = '';
    for (const p of this.patterns.get(segments.length) ?? []) {
      let score = '';
      let ok = true;
      for (let i = 0; i < segments.length; i++) {
        const s = p.segments[i];
        if (s.startsWith(':')) score += '0';
        else if (s === segments[i]) score += '1';
        else {
          ok = false;
          break;
        }
      }
      if (ok && score > bestScore) {
        best = p;
        bestScore = score;
      }
    }
    if (!best) return undefined;
    const params: Params = {};
    best.segments.forEach((s, i) => {
      if (s.startsWith(':')) params[s.slice(1)] = segments[i];
    });
    return { pattern: best, params };
  }

  /** Answers one request below /api. */
  async dispatch(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const raw = req.raw.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    if (path === '/api' || path === '/api/') {
      reply.code(301).header('location', '/api/index.html').send();
      return;
    }
    let segments: string[];
    try {
      segments = path.split('/').slice(1).map(decodeURIComponent);
    } catch {
      return sendError(reply, notFoundError());
    }
    if (segments.length > 2 && segments[segments.length - 1] === '') segments.pop();
    const found = this.match(segments);
    if (!found) {
      // Below a queue or an exchange RabbitMQ's dispatcher takes an unknown sub-path for a bad request.
      if ((segments[1] === 'queues' || segments[1] === 'exchanges') && segments.length > 4) {
        reply.code(400).send();
        return;
      }
      return sendError(reply, notFoundError());
    }
    const methods = found.pattern.handlers;
    const allow = ALLOW_ORDER.filter((m) => (m === 'HEAD' ? methods.has('GET') : m === 'OPTIONS' || methods.has(m as Method))).join(', ');
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (method === 'OPTIONS') {
      reply.code(200).header('allow', allow).send();
      return;
    }
    const route = methods.get(method as Method);
    if (!route) {
      reply.code(405).header('allow', allow).send();
      return;
    }
    try {
      const user = authenticate(this.ctx.broker, req.headers.authorization);
      user.require(route.level);
      const text = typeof req.body === 'string' ? req.body : '';
      let parsed: { [key: string]: unknown } | undefined;
      const result = await route.handler({
        params: found.params,
        query: req.query as Query,
        get body() {
          return (parsed ??= objectBody(text));
        },
        text,
        headers: req.headers,
        user,
      });
      send(reply, withColumns(req.query as Query, result));
    } catch (err) {
      sendError(reply, err);
    }
  }
}

/** ?columns= on a single object (lists apply it themselves, to their items). */
function withColumns(query: Query, result: Json | Reply | void): Json | Reply | void {
  const columns = columnsOf(query);
  if (!columns || result === null || typeof result !== 'object' || Array.isArray(result) || result instanceof Reply) return result;
  if ('items' in result && 'page_count' in result) return result;
  return projectColumns(result, columns);
}

const notFoundError = () => new HttpError(404, 'Object Not Found', 'Not Found');

function send(reply: FastifyReply, result: Json | Reply | void): void {
  if (result instanceof Reply) {
    reply.code(result.status).headers(result.headers);
    if (result.body === undefined) reply.send();
    else reply.type('application/json').send(JSON.stringify(result.body));
    return;
  }
  if (result === undefined) {
    reply.code(204).send();
    return;
  }
  reply.code(200).type('application/json').send(JSON.stringify(result));
}

export function sendError(reply: FastifyReply, err: unknown): void {
  const e = fromModelError(err);
  if (e instanceof HttpError) {
    if (e.challenge) reply.header('www-authenticate', REALM);
    reply.code(e.status);
    if (e.empty) reply.send();
    else reply.type('application/json').send(JSON.stringify({ error: e.error, reason: e.reason }));
    return;
  }
  reply.log.error(e);
  reply.code(500).type('application/json').send(JSON.stringify({ error: 'internal_server_error', reason: (e as Error).message }));
}

/**
 * A request body as a JSON object: none is {}; anything but a JSON object is 400, worded as RabbitMQ
 * words it (and a JSON string is called out, since it usually means the body was encoded twice).
 */
export function objectBody(text: string): { [key: string]: unknown } {
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'bad_request', 'not_json');
  }
  if (typeof v === 'string') {
    throw new HttpError(400, 'bad_request', 'invalid payload: the request body JSON-decoded to a string. Is the input doubly-JSON-encoded?');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 'bad_request', 'not_json');
  return v as { [key: string]: unknown };
}
