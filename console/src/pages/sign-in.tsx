import { useState } from 'preact/hooks';

/**
 * The API key is typed or pasted here, kept in this tab's session only, and sent in the
 * Authorization header only. The form posts nowhere, so the key can never land in a URL.
 */
export function SignIn({ onSignIn }: { onSignIn: (key: string) => Promise<string | null> }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="sign-in">
      <h1>Compliance ledger console</h1>
      <form
        method="post"
        onSubmit={async (event) => {
          event.preventDefault();
          if (busy) return;
          setBusy(true);
          setError(await onSignIn(key.trim()));
          setBusy(false);
        }}
      >
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
          value={key}
          aria-invalid={error !== null}
          aria-describedby={error ? 'api-key-error' : 'api-key-hint'}
          onInput={(e) => setKey((e.currentTarget as HTMLInputElement).value)}
        />
        <small id="api-key-hint" class="muted">
          Your own key (lk_…). It stays in this tab until you sign out or close it.
        </small>
        {error && (
          <small id="api-key-error" class="field-error" role="alert">
            {error}
          </small>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
