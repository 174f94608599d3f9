// The Prometheus listener (RabbitMQ's rabbitmq_prometheus serves the same paths on 15692):
//   GET /metrics             per-object series summed, as RabbitMQ does by default
//   GET /metrics/per-object  one series per queue, channel and connection
// Anything else is 404, and another method on those paths 405. node:http only: no framework needed
// to hand out one text document.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { PrometheusExporter } from './prometheus.js';

export interface MetricsServer {
  /** http://host:port (localhost when listening on every interface). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Which view a path asks for; undefined when it is not a metrics path. */
function viewOf(url: string | undefined): 'aggregated' | 'per-object' | undefined {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  if (path === '/metrics') return 'aggregated';
  if (path === '/metrics/per-object') return 'per-object';
  return undefined;
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(text, 'utf8'); // encoded once, for both the length and the write
  res.writeHead(status, { 'content-type': status === 200 ? CONTENT_TYPE : 'text/plain; charset=utf-8', 'content-length': body.length, ...headers });
  res.end(body);
}

function handle(exporter: PrometheusExporter, req: IncomingMessage, res: ServerResponse): void {
  const view = viewOf(req.url);
  if (view === undefined) return send(res, 404, 'Not Found: try /metrics or /metrics/per-object\n');
  if (req.method !== 'GET') return send(res, 405, 'Method Not Allowed\n', { allow: 'GET' });
  let body: string;
  try {
    body = exporter.render(view === 'per-object');
  } catch (err) {
    return send(res, 500, `could not render metrics: ${(err as Error).message}\n`);
  }
  send(res, 200, body);
}

/**
 * Starts listening. A failure to listen rejects with the system error (code EADDRINUSE and so on),
 * marked listener: 'prometheus' so the command can say which of its ports was taken.
 */
export function startMetricsServer(exporter: PrometheusExporter, listen: { port: number; host?: string }): Promise<MetricsServer> {
  const server = createServer((req, res) => handle(exporter, req, res));
  return new Promise((resolve, reject) => {
    const failed = (err: Error) => reject(Object.assign(err, { listener: 'prometheus' }));
    server.once('error', failed);
    const listening = (): void => {
      server.off('error', failed);
      const addr = server.address();
      const port = addr && typeof addr === 'object' ? addr.port : listen.port;
      const host = listen.host;
      const shown = host === undefined || host === '::' || host === '0.0.0.0' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Prometheus keeps its connection alive between scrapes: do not wait for it to go.
            server.closeAllConnections();
          }),
      });
    };
    // Without a host Node binds every interface (IPv6 and IPv4 where the system has both).
    if (listen.host === undefined) server.listen(listen.port, listening);
    else server.listen(listen.port, listen.host, listening);
  });
}
