// A tiny observable value, and a hook that re-renders a component when it changes.
import { useEffect, useState } from 'preact/hooks';

export interface Store<T> {
  get(): T;
  set(value: T): void;
  subscribe(listener: (value: T) => void): () => void;
}

export function createStore<T>(initial: T): Store<T> {
  let value = initial;
  const listeners = new Set<(value: T) => void>();
  return {
    get: () => value,
    set(next) {
      if (Object.is(next, value)) return;
      value = next;
      for (const listener of [...listeners]) listener(value);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useStore<T>(store: Store<T>): T {
  const [value, setValue] = useState(store.get);
  useEffect(() => {
    setValue(() => store.get());
    return store.subscribe((next) => setValue(() => next));
  }, [store]);
  return value;
}

/** A store whose value survives reloads of the tab (sessionStorage). */
export function persistedStore<T>(key: string, initial: T): Store<T> {
  let start = initial;
  try {
    const raw = sessionStorage.getItem(key);
    if (raw !== null) start = JSON.parse(raw) as T;
  } catch {
    // unreadable: keep the default
  }
  const store = createStore(start);
  store.subscribe((value) => {
    try {
      sessionStorage.setItem(key, JSON.stringify(value));
    } catch {
      // storage full or disabled: the setting just won't persist
    }
  });
  return store;
}
