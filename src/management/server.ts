// The management listener: RabbitMQ's HTTP API under /api (fastify), and the web UI's built files at /.
// Loaded after the AMQP listener is up, so it adds nothing to the time until clients can connect.
import { existsSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { Api, sendError } from './api.js';
import type { ManagementContext } from './context.js';
import { HttpError } from './http-error.js';
import { accessRoutes } from './routes/access.js';
import { connectionRoutes } from './routes/connections.js';
import { exchangeRoutes } from './routes/exchanges.js';
import { overviewRoutes } from './routes/overview.js';
import { policyRoutes } from './routes/policies.js';
import { queueRoutes } from './routes/queues.js';

export interface ManagementOptions {
  port: number;
  host?: string;
  /** Where the web UI's built files are; none: the API only. */
  uiDir?: string;
  /** Serve HTTPS with this certificate and key. */
  tls?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer };
}

export interface ManagementServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Bodies above this are refused (RabbitMQ 3.10's limit measured ~8 MB; definitions of big brokers need more). */
const MAX_BODY = 64 * 1024 * 1024;

export async function startManagement(ctx: ManagementContext, options: ManagementOptions): Promise<ManagementServer> {
  const app = (
    options.tls
      ? Fastify({ logger: false, bodyLimit: MAX_BODY, forceCloseConnections: true, https: { cert: options.tls.cert, key: options.tls.key, ca: options.tls.ca } })
      : Fastify({ logger: false, bodyLimit: MAX_BODY, forceCloseConnections: true })
  ) as unknown as FastifyInstance;
  // Bodies are read as text whatever their content type says (curl -d sends form-encoded; RabbitMQ
  // parses JSON regardless); each handler parses after the path, method and credentials are checked.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof HttpError) return sendError(reply, err);
    const status = (err as { statusCode?: number }).statusCode;
    // RabbitMQ answers an oversized body with 400 and this reason, not 413.
    if (status === 413) return sendError(reply, new HttpError(400, 'bad_request', 'Exceeded HTTP request body size limit'));
    if (status !== undefined && status < 500) return sendError(reply, new HttpError(status, 'bad_request', (err as Error).message));
    sendError(reply, err);
  });
  app.setNotFoundHandler((_req, reply) => sendError(reply, new HttpError(404, 'Object Not Found', 'Not Found')));

  const api = new Api(ctx);
  overviewRoutes(api);
  queueRoutes(api);
  exchangeRoutes(api);
  connectionRoutes(api);
  accessRoutes(api);
  policyRoutes(api);
  const methods = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'];
  for (const url of ['/api', '/api/*']) {
    app.route({ method: methods, url, exposeHeadRoute: false, handler: (req, reply) => api.dispatch(req, reply) });
  }

  const uiDir = options.uiDir;
  if (uiDir !== undefined && existsSync(uiDir)) {
    const { default: fastifyStatic } = await import('@fastify/static');
    await app.register(fastifyStatic, { root: uiDir, prefix: '/', index: 'index.html', wildcard: true });
  }

  const address = await app.listen({ port: options.port, host: options.host ?? '::' });
  const url = new URL(address);
  const port = Number(url.port);
  return {
    url: `${options.tls ? 'https' : 'http'}://${options.host && options.host !== '::' && options.host !== '0.0.0.0' ? hostForUrl(options.host) : 'localhost'}:${port}`,
    port,
    close: () => app.close(),
  };
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
