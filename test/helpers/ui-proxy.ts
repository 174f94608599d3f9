// Serves Warren's built web UI (dist/ui) from a local port and forwards /api/* to another broker's
// management API, so the UI tests can show that the UI works on RabbitMQ's API as well as on Warren's.
// Test-only: RabbitMQ's own listener serves RabbitMQ's UI at '/', not ours.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';

export const UI_DIST = resolve(import.meta.dirname, '../../dist/ui');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export interface UiProxy {
  base: string;
  close(): Promise<void>;
}

export function uiIsBuilt(): boolean {
  return existsSync(join(UI_DIST, 'index.html'));
}

export async function startUiProxy(apiBase: string): Promise<UiProxy> {
  const server = createServer((req, res) => {
    handle(req, res, apiBase).catch((err: unknown) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`ui proxy: ${String(err)}`);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, apiBase: string): Promise<void> {
  const url = req.url ?? '/';
  if (url.startsWith('/api/')) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'x-reason']) {
      const v = req.headers[name];
      if (typeof v === 'string') headers[name] = v;
    }
    const method = req.method ?? 'GET';
    const answer = await fetch(apiBase + url, {
      method,
      headers,
      body: method === 'GET' || method === 'HEAD' || chunks.length === 0 ? undefined : Buffer.concat(chunks),
    });
    const out: Record<string, string> = {};
    for (const name of ['content-type', 'www-authenticate', 'allow']) {
      const v = answer.headers.get(name);
      if (v !== null) out[name] = v;
    }
    res.writeHead(answer.status, out);
    res.end(Buffer.from(await answer.arrayBuffer()));
    return;
  }
  const path = url.split('?')[0];
  const file = normalize(join(UI_DIST, path === '/' ? 'index.html' : decodeURIComponent(path)));
  if (!file.startsWith(UI_DIST) || !existsSync(file)) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
  res.end(await readFile(file));
}
