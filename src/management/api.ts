// Route registration for the management API: every route authenticates the caller (HTTP Basic, user
// tags), checks the level the route needs, and turns thrown HttpErrors and model errors into
// RabbitMQ's JSON error bodies. Handlers return a body (200), or a Reply for other statuses.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticate, type Level, type Principal } from './auth.js';
import type { ManagementContext } from './context.js';
import { fromModelError, HttpError } from './http-error.js';
import type { Json } from './json-fields.js';

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
  body: unknown;
  headers: FastifyRequest['headers'];
  user: Principal;
}

type Handler = (call: Call) => Json | Reply | void | Promise<Json | Reply | void>;

export class Api {
  constructor(
    private readonly app: FastifyInstance,
    readonly ctx: ManagementContext,
  ) {}

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

  private route(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, level: Level, handler: Handler): void {
    this.app.route({
      method,
      url: path,
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        try {
          const user = authenticate(this.ctx.broker, req.headers.authorization);
          user.require(level);
          const result = await handler({
            params: req.params as Params,
            query: req.query as Query,
            body: req.body,
            headers: req.headers,
            user,
          });
          send(reply, result);
        } catch (err) {
          sendError(reply, err);
        }
      },
    });
  }
}

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
    if (e.status === 401) reply.header('www-authenticate', 'Basic realm="RabbitMQ Management"');
    reply.code(e.status).type('application/json').send(JSON.stringify({ error: e.error, reason: e.reason }));
    return;
  }
  reply.log.error(e);
  reply.code(500).type('application/json').send(JSON.stringify({ error: 'internal_server_error', reason: (e as Error).message }));
}

/** An object body (JSON); 400 when it is anything else. */
export function objectBody(body: unknown): { [key: string]: unknown } {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'bad_request', 'the request body must be a JSON object');
  return body as { [key: string]: unknown };
}
