// How numbers, rates, sizes and times read in tables and cards.

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });

export function count(value: number | undefined | null): string {
  if (value === undefined || value === null || Number.isNaN(value)) return '–';
  return Math.abs(value) >= 1_000_000 ? compact.format(value) : integer.format(value);
}

const rateDigits = [
  new Intl.NumberFormat('en', { maximumFractionDigits: 2 }),
  new Intl.NumberFormat('en', { maximumFractionDigits: 1 }),
];

/** A per-second rate: "0/s", "0.25/s", "4.5/s", "120/s", "3.2K/s". */
export function rate(value: number | undefined | null): string {
  if (value === undefined || value === null || Number.isNaN(value)) return '–';
  const abs = Math.abs(value);
  if (abs < 1) return `${rateDigits[0]!.format(value)}/s`;
  if (abs < 10) return `${rateDigits[1]!.format(value)}/s`;
  if (abs < 10_000) return `${integer.format(value)}/s`;
  return `${compact.format(value)}/s`;
}

export function bytes(value: number | undefined | null): string {
  if (value === undefined || value === null || Number.isNaN(value)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = value;
  let unit = 0;
  while (Math.abs(n) >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${unit === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[unit]}`;
}

export function percent(fraction: number | undefined | null): string {
  if (fraction === undefined || fraction === null || Number.isNaN(fraction)) return '–';
  return `${Math.round(fraction * 100)}%`;
}

/** "3 min ago" style age of a millisecond timestamp. */
export function ago(ms: number | undefined): string {
  if (!ms) return '–';
  const seconds = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export function dateTime(ms: number | undefined): string {
  if (!ms) return '–';
  return new Date(ms).toLocaleString();
}

/** The default exchange has the empty name; show it the way RabbitMQ users know it. */
export const exchangeLabel = (name: string) => (name === '' ? '(AMQP default)' : name);

/** Tags arrive as an array (3.10) or a comma-separated string (older brokers). */
export function tagList(tags: string[] | string | undefined): string[] {
  if (!tags) return [];
  return (Array.isArray(tags) ? tags : tags.split(',')).map((t) => t.trim()).filter(Boolean);
}
