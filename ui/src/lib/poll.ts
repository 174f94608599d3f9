// Loads data now and again at the chosen refresh interval while the tab is visible.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { refreshInterval } from './settings';
import { useStore } from './store';

export interface Polled<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  /** load again now (after an action changed what the page shows) */
  refresh(): void;
}

/**
 * `load` runs on mount, whenever `deps` change, and every refresh interval (`everyMs` overrides it).
 * A load still in flight when the next one starts, or when the component goes, is aborted.
 */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], everyMs?: number): Polled<T> {
  const interval = useStore(refreshInterval);
  const period = everyMs ?? interval;
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const inFlight = useRef(false);

  // New deps mean different data: drop what the old ones loaded.
  useEffect(() => {
    setData(undefined);
    setError(undefined);
    setLoading(true);
  }, deps);

  useEffect(() => {
    const controller = new AbortController();
    inFlight.current = true;
    loadRef
      .current(controller.signal)
      .then((value) => {
        if (controller.signal.aborted) return;
        setData(() => value);
        setError(undefined);
      })
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        setError(err instanceof Error ? err : new Error(String(err)));
      })
      .finally(() => {
        if (controller.signal.aborted) return;
        inFlight.current = false;
        setLoading(false);
      });
    return () => {
      controller.abort();
      inFlight.current = false;
    };
  }, [...deps, tick]);

  useEffect(() => {
    if (!period) return;
    const timer = setInterval(() => {
      // A slow API is not asked again until it has answered.
      if (document.visibilityState === 'visible' && !inFlight.current) setTick((n) => n + 1);
    }, period);
    return () => clearInterval(timer);
  }, [period]);

  const refresh = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, refresh };
}
