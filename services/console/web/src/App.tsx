import type { User, UserManager } from 'oidc-client-ts';
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Provider as UrqlProvider, useQuery, type Client } from 'urql';
import { CALLBACK_PATH, createUserManager, identityOf, loadRuntimeConfig } from './auth';
import { createClient } from './client';
import { ViewerDocument, type ViewerQuery } from './generated';
import { setLanguage } from './i18n';
import { mayOpen, screensFor, type Screen } from './roles';
import { navigate, usePath } from './router';
import { Compose } from './screens/Compose';
import { ContentDetail } from './screens/ContentDetail';
import { Inbox } from './screens/Inbox';
import { MyContent } from './screens/MyContent';

type Session =
  | { state: 'loading' }
  | { state: 'failed'; message: string }
  | { state: 'signed-out'; manager: UserManager }
  | { state: 'signed-in'; manager: UserManager; user: User; client: Client };

const RETURN_TO = 'prasar.console.returnTo';

/** The sign-in callback is handled once per page load, however often the effect runs (StrictMode). */
let callback: Promise<User> | undefined;

export function App() {
  const { t } = useTranslation();
  const [session, setSession] = useState<Session>({ state: 'loading' });
  const userRef = useRef<User | null>(null);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      const config = await loadRuntimeConfig();
      const manager = await createUserManager(config);
      const signedIn = (user: User) => {
        userRef.current = user;
        const client = createClient(config.graphqlPath, () => userRef.current?.access_token);
        if (!cancelled) setSession({ state: 'signed-in', manager, user, client });
      };
      manager.events.addUserLoaded((user) => {
        userRef.current = user; // a silent renewal: the same client, a new token
      });
      manager.events.addUserSignedOut(() => setSession({ state: 'signed-out', manager }));
      manager.events.addSilentRenewError(() => setSession({ state: 'signed-out', manager }));
      if (window.location.pathname === CALLBACK_PATH) {
        callback ??= manager.signinRedirectCallback();
        const user = await callback;
        const back = sessionStorage.getItem(RETURN_TO) ?? '/';
        sessionStorage.removeItem(RETURN_TO);
        window.history.replaceState(null, '', back.startsWith('/') ? back : '/');
        signedIn(user);
        return;
      }
      const user = await manager.getUser();
      if (user && !user.expired) signedIn(user);
      else if (!cancelled) setSession({ state: 'signed-out', manager });
    })().catch((err: unknown) => {
      // Shown on the screen (the failed state), not dumped to the browser's console: a provider's
      // error can carry more than its message.
      if (!cancelled)
        setSession({ state: 'failed', message: err instanceof Error ? err.message : String(err) });
    });
    return () => {
      cancelled = true;
    };
  }, []);

  const signIn = (manager: UserManager) => {
    const here = window.location.pathname + window.location.search;
    sessionStorage.setItem(RETURN_TO, here === CALLBACK_PATH ? '/' : here);
    void manager.signinRedirect({ ui_locales: document.documentElement.lang });
  };

  let main: ReactNode;
  let identity: ReturnType<typeof identityOf> | undefined;
  if (session.state === 'loading') main = <p role="status">{t('app.loading')}</p>;
  else if (session.state === 'failed')
    main = (
      <div role="alert" className="notice notice-error">
        <h1>{t('app.failedTitle')}</h1>
        <p>{t('app.failed')}</p>
      </div>
    );
  else if (session.state === 'signed-out')
    main = (
      <section className="welcome" aria-labelledby="welcome-title">
        <h1 id="welcome-title">{t('welcome.title')}</h1>
        <p>{t('welcome.lead')}</p>
        <button type="button" className="button primary" onClick={() => signIn(session.manager)}>
          {t('welcome.signIn')}
        </button>
      </section>
    );
  else {
    identity = identityOf(session.user);
    main = (
      <UrqlProvider value={session.client}>
        <Screens roles={identity.roles} />
      </UrqlProvider>
    );
  }

  return (
    <>
      <a className="skip-link" href="#main">
        {t('app.skipToContent')}
      </a>
      <Header
        identity={identity}
        onSignOut={
          session.state === 'signed-in'
            ? () => void session.manager.signoutRedirect({ id_token_hint: session.user.id_token })
            : undefined
        }
      />
      <main id="main" tabIndex={-1}>
        {main}
      </main>
      <footer className="site-footer">
        <p>{t('app.footer')}</p>
      </footer>
    </>
  );
}

function Header({
  identity,
  onSignOut,
}: {
  identity?: { name: string; roles: string[] };
  onSignOut?: () => void;
}) {
  const { t, i18n } = useTranslation();
  const path = usePath();
  const other = i18n.language === 'hi' ? 'en' : 'hi';
  const screens = identity ? screensFor(identity.roles) : [];
  return (
    <header className="site-header">
      <div className="brand-row">
        <a className="brand" href="/" onClick={(e) => (e.preventDefault(), navigate('/'))}>
          <span className="brand-mark" aria-hidden="true">
            प्र
          </span>
          <span>{t('app.name')}</span>
        </a>
        <div className="header-actions">
          <button type="button" className="button link" lang={other} onClick={() => void setLanguage(other)}>
            {t('app.switchLanguage')}
          </button>
          {identity && onSignOut && (
            <>
              <span className="who">{identity.name}</span>
              <button type="button" className="button" onClick={onSignOut}>
                {t('app.signOut')}
              </button>
            </>
          )}
        </div>
      </div>
      {screens.length > 0 && (
        <nav aria-label={t('nav.label')}>
          <ul>
            {screens.map((screen) => {
              const href = `/${screen}`;
              const current =
                path === href || path.startsWith(`${href}/`) || (path === '/' && screen === screens[0]);
              return (
                <li key={screen}>
                  <a
                    href={href}
                    aria-current={current ? 'page' : undefined}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate(href);
                    }}
                  >
                    {t(`nav.${screen}`)}
                  </a>
                </li>
              );
            })}
          </ul>
        </nav>
      )}
    </header>
  );
}

function Screens({ roles }: { roles: string[] }) {
  const { t } = useTranslation();
  const path = usePath();
  const [viewer] = useQuery({ query: ViewerDocument });
  const screens = useMemo(() => screensFor(roles), [roles]);
  // /content/<id>: one content item, opened with the same roles as the list.
  const detailId = /^\/content\/([^/]+)$/.exec(path)?.[1];
  const requested = (
    detailId ? 'content' : (path === '/' ? `/${screens[0] ?? ''}` : path).slice(1)
  ) as Screen;
  const mainRef = useRef<HTMLElement | null>(null);

  // Moving between screens moves focus to the new screen's content (as a page load would).
  useEffect(() => {
    mainRef.current = document.getElementById('main');
    mainRef.current?.focus();
  }, [path]);

  if (screens.length === 0)
    return (
      <div role="alert" className="notice">
        <h1>{t('access.noRoleTitle')}</h1>
        <p>{t('access.noRole')}</p>
      </div>
    );
  if (!['content', 'compose', 'inbox'].includes(requested))
    return (
      <div className="notice">
        <h1>{t('access.notFoundTitle')}</h1>
        <p>{t('access.notFound')}</p>
      </div>
    );
  if (!mayOpen(requested, roles))
    return (
      <div role="alert" className="notice">
        <h1>{t('access.deniedTitle')}</h1>
        <p>{t('access.denied')}</p>
      </div>
    );
  if (viewer.fetching && !viewer.data) return <p role="status">{t('app.loading')}</p>;
  if (viewer.error || !viewer.data)
    return (
      <div role="alert" className="notice notice-error">
        <h1>{t('app.failedTitle')}</h1>
        <p>{t('app.failed')}</p>
      </div>
    );
  const v: ViewerQuery['viewer'] = viewer.data.viewer;
  if (requested === 'compose') return <Compose viewer={v} />;
  if (requested === 'inbox') return <Inbox viewer={v} />;
  if (detailId) return <ContentDetail id={decodeURIComponent(detailId)} />;
  return <MyContent viewer={v} />;
}
