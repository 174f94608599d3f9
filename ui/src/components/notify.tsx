// Short-lived messages in the corner: what an action did, or why it failed.
import { createStore, useStore } from '../lib/store';

export interface Toast {
  id: number;
  kind: 'ok' | 'error' | 'info';
  text: string;
}

const toasts = createStore<Toast[]>([]);
let nextId = 1;

export function notify(text: string, kind: Toast['kind'] = 'ok'): void {
  const toast = { id: nextId++, kind, text };
  toasts.set([...toasts.get(), toast]);
  setTimeout(() => toasts.set(toasts.get().filter((t) => t.id !== toast.id)), kind === 'error' ? 8000 : 4000);
}

export function notifyError(err: unknown): void {
  notify(err instanceof Error ? err.message : String(err), 'error');
}

export function Toasts() {
  const list = useStore(toasts);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} class={`toast toast-${t.kind}`} onClick={() => toasts.set(toasts.get().filter((x) => x.id !== t.id))}>
          {t.text}
        </div>
      ))}
    </div>
  );
}
