// Sign in with a broker user; the management API checks the password on every request.
import { useState } from 'preact/hooks';
import { Logo } from '../components/Logo';
import { signIn, signOutReason } from '../lib/auth';
import { useStore } from '../lib/store';

export function LoginPage() {
  const reason = useStore(signOutReason);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn({ username, password });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  }

  return (
    <div class="login">
      <form class="login-card" onSubmit={submit}>
        <div class="login-brand">
          <Logo size={40} />
          <div>
            <div class="login-title">Warren</div>
            <div class="muted">Broker management</div>
          </div>
        </div>
        {reason && !error && <div class="alert alert-info">{reason}</div>}
        {error && (
          <div class="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <label class="field">
          <span class="field-label">Username</span>
          <input class="input" name="username" autoComplete="username" autoFocus value={username} onInput={(e) => setUsername((e.target as HTMLInputElement).value)} required />
        </label>
        <label class="field">
          <span class="field-label">Password</span>
          <input class="input" name="password" type="password" autoComplete="current-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </label>
        <button class="button button-primary login-submit" type="submit" disabled={busy || !username}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="login-foot muted">Any broker user with a management tag can sign in. Credentials stay in this tab only.</p>
      </form>
    </div>
  );
}
