/**
 * The operator console: logs in with an API token, then shows the page the address names
 * (overview, findings, repairs, scans, dead letters, and for admins the audit log), refreshing
 * itself while shown. It talks only to the query API, with that token: what a reader may not do
 * is neither shown nor, were it tried, allowed by the API.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api-client';
import { AuditPage } from './pages/audit';
import { DeadLettersPage } from './pages/dead-letters';
import { FindingPage, FindingsPage } from './pages/findings';
import { OverviewPage } from './pages/overview';
import { RepairsPage } from './pages/repairs';
import { ScansPage } from './pages/scans';
import { routeOf, type Page, type Route } from './routes';
import { logIn, logOut, resumeSession, type Session } from './session';
import type { Role } from './wire-types';
import { ErrorNote } from './widgets';
import './styles.css';

/**
 * The pages in the navigation, the role each needs to be listed, and the filter a page opens
 * with: the findings open now, what an operator comes for.
 */
const NAV: Array<[Page, string, Role, string?]> = [
  ['overview', 'Overview', 'reader'],
  ['findings', 'Findings', 'reader', 'status=unresolved'],
  ['repairs', 'Repairs', 'reader'],
  ['scans', 'Scans', 'reader'],
  ['dead-letters', 'Dead letters', 'reader'],
  ['audit', 'Audit', 'admin'],
];

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [route, setRoute] = useState<Route>(routeOf(location.hash));
  useEffect(() => {
    void resumeSession().then(setSession);
    const follow = () => setRoute(routeOf(location.hash));
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null) return <Login onSession={setSession} />;
  const current = route.page === 'finding' ? 'findings' : route.page;
  return (
    <div class="shell">
      <header>
        <strong class="brand">Bridge Sync</strong>
        <nav>
          {NAV.filter(([, , role]) => role === 'reader' || session.role === 'admin').map(
            ([page, label, , query]) => (
              <a
                key={page}
                href={`#/${page}${query ? `?${query}` : ''}`}
                class={page === current ? 'active' : ''}
              >
                {label}
              </a>
            ),
          )}
        </nav>
        <span class="who" data-testid="who">
          {session.name} ({session.role})
        </span>
        <button
          type="button"
          onClick={() => {
            logOut();
            setSession(null);
          }}
        >
          Log out
        </button>
      </header>
      <main>
        <PageView route={route} session={session} />
      </main>
    </div>
  );
}

function PageView({ route, session }: { route: Route; session: Session }) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage session={session} />;
    case 'findings':
      return <FindingsPage session={session} params={route.params} />;
    case 'finding':
      return <FindingPage session={session} id={route.id ?? ''} />;
    case 'repairs':
      return <RepairsPage session={session} />;
    case 'scans':
      return <ScansPage session={session} />;
    case 'dead-letters':
      return <DeadLettersPage session={session} params={route.params} id={route.id} />;
    case 'audit':
      return <AuditPage session={session} params={route.params} />;
  }
}

function Login({ onSession }: { onSession: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="login"
      onSubmit={(event) => {
        event.preventDefault();
        setBusy(true);
        setError(null);
        logIn(token)
          .then(onSession)
          .catch((failure: unknown) =>
            setError(
              failure instanceof ApiError && failure.status === 401
                ? 'This token is not accepted.'
                : failure instanceof Error
                  ? failure.message
                  : String(failure),
            ),
          )
          .finally(() => setBusy(false));
      }}
    >
      <h1>Bridge Sync</h1>
      <label>
        <span>API token</span>
        <input
          type="password"
          name="token"
          autoComplete="current-password"
          value={token}
          required
          onInput={(event) => setToken(event.currentTarget.value)}
        />
      </label>
      <button type="submit" disabled={busy}>
        Log in
      </button>
      <ErrorNote error={error} />
      <p class="hint">
        A reader or admin token of the query API. <code>npm start</code> prints an admin token and
        keeps it in <code>.data/admin-token</code>.
      </p>
    </form>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
