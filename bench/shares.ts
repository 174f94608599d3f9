// Dividing work between processes and connections.

/** Splits items into at most `parts` near-equal consecutive shares, dropping empty ones. */
export function spread<T>(items: T[], parts: number): T[][] {
  const shares: T[][] = [];
  let from = 0;
  for (let i = 0; i < parts; i++) {
    const to = Math.round(((i + 1) * items.length) / parts);
    if (to > from) shares.push(items.slice(from, to));
    from = to;
  }
  return shares;
}

/** Splits a count into `parts` whole numbers that differ by at most one and add up to it. */
export function splitCount(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < total % parts ? 1 : 0));
}
