import { useEffect, useState } from 'preact/hooks';
import { ApiProblem, answer, api, apiKey, type Schemas } from './api';
import { DeadlinesPage } from './pages/deadlines';
import { IntegrityPage } from './pages/integrity';
import { ProgramPage } from './pages/program';
import { ProgramsPage } from './pages/programs';
import { mayRecord, RecordPage } from './pages/record';
import { SignIn } from './pages/sign-in';
import { mayManageSubscriptions, SubscriptionsPage } from './pages/subscriptions';
import { ViolationsPage } from './pages/violations';
import { type Route, useRoute } from './route';

type Principal = Schemas['Principal'];

const PAGES = [
  ['programs', 'Programs'],
  ['deadlines', 'Deadlines'],
  ['violations', 'Violations'],
  ['integrity', 'Integrity'],
  ['record', 'Record'],
  ['subscriptions', 'Subscriptions'],
] as const;

function Page({ route, principal }: { route: Route; principal: Principal }) {
  switch (route.page) {
    case 'deadlines':
      return <DeadlinesPage />;
    case 'violations':
      return <ViolationsPage />;
    case 'integrity':
      return <IntegrityPage />;
    case 'record':
      return <RecordPage role={principal.role} />;
    case 'subscriptions':
      return <SubscriptionsPage />;
    case 'program':
      return <ProgramPage key={route.arg} route={route} role={principal.role} />;
    default:
      return <ProgramsPage />;
  }
}

/** Signed in: the pages the key's role may use. Signed out: the sign-in form. */
export function App() {
  const route = useRoute();
  const [principal, setPrincipal] = useState<Principal | null>(null);
  const [checking, setChecking] = useState(apiKey.get() !== null);

  const signIn = async (key: string): Promise<string | null> => {
    apiKey.set(key);
    try {
      setPrincipal(await answer(api.GET('/v1/me')));
      return null;
    } catch (error) {
      apiKey.clear();
      return error instanceof ApiProblem && error.status === 401
        ? 'That key is not valid or was revoked.'
        : (error as Error).message;
    }
  };
  const signOut = () => {
    apiKey.clear();
    setPrincipal(null);
  };

  // A reload in the same tab keeps the session: the key is still in sessionStorage.
  useEffect(() => {
    const key = apiKey.get();
    if (key) void signIn(key).finally(() => setChecking(false));
  }, []);

  if (checking) return <p aria-live="polite">Signing in…</p>;
  if (!principal) return <SignIn onSignIn={signIn} />;
  const current = route.page === 'program' ? 'programs' : route.page;
  return (
    <>
      <header class="top">
        <p class="brand">Compliance ledger</p>
        <nav aria-label="Pages">
          <ul>
            {PAGES.filter(
              ([page]) =>
                (page !== 'record' || mayRecord(principal.role)) &&
                (page !== 'subscriptions' || mayManageSubscriptions(principal.role)),
            ).map(([page, label]) => (
              <li key={page}>
                <a href={`#/${page}`} aria-current={current === page ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <p class="who">
          {principal.name} <span class="role">({principal.role})</span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </p>
      </header>
      <main id="main">
        <Page route={route} principal={principal} />
      </main>
    </>
  );
}
