// Who is signed in. Signing in checks the credentials with GET /api/whoami before keeping them.
import { whoami } from '../api/endpoints';
import { ApiError, setUnauthorizedHandler } from '../api/client';
import { clearCredentials, loadCredentials, saveCredentials, type Credentials } from '../api/session';
import { tagList } from './format';
import { createStore } from './store';

export interface SignedIn {
  username: string;
  tags: string[];
}

export const currentUser = createStore<SignedIn | null>(null);
/** Why the user was sent back to the sign-in form, if not by choice. */
export const signOutReason = createStore<string | null>(null);

export async function signIn(credentials: Credentials): Promise<void> {
  try {
    const me = await whoami(credentials);
    saveCredentials(credentials);
    signOutReason.set(null);
    currentUser.set({ username: me.name, tags: tagList(me.tags) });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      throw new Error(
        /management/i.test(err.reason)
          ? `${credentials.username} may not use the management UI (it needs the management, monitoring, policymaker or administrator tag)`
          : 'Wrong username or password',
      );
    }
    throw err;
  }
}

export function signOut(reason: string | null = null): void {
  clearCredentials();
  signOutReason.set(reason);
  currentUser.set(null);
}

/** On load: credentials left in this tab's session are checked again. */
export async function resumeSession(): Promise<void> {
  const saved = loadCredentials();
  if (!saved) return;
  try {
    await signIn(saved);
  } catch {
    signOut('Your session has ended; please sign in again.');
  }
}

setUnauthorizedHandler(() => {
  if (currentUser.get()) signOut('The broker no longer accepts your credentials; please sign in again.');
});
