// Turns the `reason` of a management API error body into one readable line. RabbitMQ sends
// reasons as strings (HTML-escaped, sometimes several lines) or as Erlang terms rendered to JSON,
// where a string is an array of character codes: ["invalid_regexp",[40],[[109,105,...],1]].

const HTML_ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&amp;': '&' };

function unescapeHtml(text: string): string {
  return text.replace(/&(?:lt|gt|quot|#39|amp);/g, (entity) => HTML_ENTITIES[entity]!);
}

function isCharList(value: unknown[]): value is number[] {
  return value.length > 0 && value.every((c) => Number.isInteger(c) && (c as number) >= 9 && (c as number) <= 0x10ffff);
}

function termText(value: unknown, nested: boolean): string {
  if (typeof value === 'string') return unescapeHtml(value);
  if (Array.isArray(value)) {
    if (isCharList(value)) return String.fromCodePoint(...value);
    const parts = value.map((v) => termText(v, true));
    return nested ? `(${parts.join(', ')})` : parts.join(': ');
  }
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** One line: "Validation failed\n\nX is not valid\n" becomes "Validation failed: X is not valid". */
export function describeReason(reason: unknown): string {
  return termText(reason, false)
    .trim()
    .replace(/\n{2,}/g, ': ')
    .replace(/\n/g, '; ');
}
