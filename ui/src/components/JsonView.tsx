// Shows a message body or a table of values readably: JSON pretty-printed and coloured, other text as
// it is, binary as hex.
import type { ComponentChildren } from 'preact';

const TOKEN = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

/** Pretty JSON text split into coloured spans. */
export function highlightJson(text: string): ComponentChildren[] {
  const parts: ComponentChildren[] = [];
  let at = 0;
  for (const match of text.matchAll(TOKEN)) {
    const index = match.index ?? 0;
    if (index > at) parts.push(text.slice(at, index));
    const [whole, string, colon, literal, number] = match;
    if (string !== undefined) {
      parts.push(<span class={colon ? 'json-key' : 'json-string'}>{string}</span>);
      if (colon) parts.push(colon);
    } else if (literal !== undefined) {
      parts.push(<span class="json-literal">{literal}</span>);
    } else if (number !== undefined) {
      parts.push(<span class="json-number">{number}</span>);
    }
    at = index + whole.length;
  }
  if (at < text.length) parts.push(text.slice(at));
  return parts;
}

export function JsonBlock({ value }: { value: unknown }) {
  return <pre class="code">{highlightJson(JSON.stringify(value, null, 2))}</pre>;
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function hexDump(bytes: Uint8Array, limit = 512): string {
  const lines: string[] = [];
  for (let offset = 0; offset < Math.min(bytes.length, limit); offset += 16) {
    const row = bytes.subarray(offset, Math.min(offset + 16, bytes.length));
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(6, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (bytes.length > limit) lines.push(`… ${bytes.length - limit} more bytes`);
  return lines.join('\n');
}

export interface DecodedPayload {
  kind: 'json' | 'text' | 'binary';
  text: string;
}

/** Makes sense of a payload as the API returns it (`payload_encoding` string or base64). */
export function decodePayload(payload: string, encoding: 'string' | 'base64'): DecodedPayload {
  let text = payload;
  if (encoding === 'base64') {
    const bytes = decodeBase64(payload);
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return { kind: 'binary', text: hexDump(bytes) };
    }
  }
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return { kind: 'json', text: JSON.stringify(JSON.parse(trimmed), null, 2) };
    } catch {
      // not JSON after all
    }
  }
  return { kind: 'text', text };
}

export function PayloadView({ payload, encoding }: { payload: string; encoding: 'string' | 'base64' }) {
  const decoded = decodePayload(payload, encoding);
  return (
    <div class="payload">
      <span class="payload-kind">{decoded.kind === 'json' ? 'JSON' : decoded.kind === 'binary' ? 'binary (hex)' : 'text'}</span>
      <pre class="code">{decoded.kind === 'json' ? highlightJson(decoded.text) : decoded.text || <span class="muted">(empty)</span>}</pre>
    </div>
  );
}
