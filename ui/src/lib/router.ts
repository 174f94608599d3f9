// Hash routing (#/queues/%2F/orders): the server serves one index.html at `/` and needs no fallback rules.
import { useEffect, useState } from 'preact/hooks';

/** The route's path segments, decoded: "#/queues/%2F/orders" → ["queues", "/", "orders"]. */
export function currentSegments(): string[] {
  const hash = location.hash.replace(/^#\/?/, '');
  const path = hash.split('?')[0] ?? '';
  return path === '' ? [] : path.split('/').map((part) => decodeURIComponent(part));
}

/** A link target from raw segments, each encoded: href('queues', '/', 'orders') → "#/queues/%2F/orders". */
export function href(...segments: string[]): string {
  return `#/${segments.map((part) => encodeURIComponent(part)).join('/')}`;
}

export function navigate(target: string): void {
  location.hash = target.replace(/^#/, '');
}

export function useRoute(): string[] {
  const [segments, setSegments] = useState(currentSegments);
  useEffect(() => {
    const update = () => setSegments(currentSegments());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return segments;
}
