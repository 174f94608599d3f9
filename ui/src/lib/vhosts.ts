// The vhost names the signed-in user can see, for the vhost picker and the forms.
import { vhosts as fetchVhosts } from '../api/endpoints';
import { selectedVhost } from './settings';
import { createStore } from './store';

export const vhostNames = createStore<string[]>([]);

export async function reloadVhosts(): Promise<void> {
  try {
    const names = (await fetchVhosts()).map((v) => v.name).sort();
    vhostNames.set(names);
    // The chosen vhost was deleted: fall back to all.
    const chosen = selectedVhost.get();
    if (chosen !== null && !names.includes(chosen)) selectedVhost.set(null);
  } catch {
    // Listing vhosts needs no special tag, but keep the UI usable if it fails.
  }
}
