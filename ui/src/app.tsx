// The application: the sign-in form until someone is signed in, then the shell with the routed page.
import { useEffect, useState } from 'preact/hooks';
import { Toasts } from './components/notify';
import { TopBar } from './components/TopBar';
import { currentUser, resumeSession } from './lib/auth';
import { startOverviewFeed, stopOverviewFeed } from './lib/overview-feed';
import { useRoute } from './lib/router';
import { useStore } from './lib/store';
import { reloadVhosts } from './lib/vhosts';
import { AdminPage } from './pages/admin/AdminPage';
import { ChannelsPage } from './pages/ChannelsPage';
import { ConnectionsPage } from './pages/ConnectionsPage';
import { ExchangePage } from './pages/exchange/ExchangePage';
import { ExchangesPage } from './pages/ExchangesPage';
import { LoginPage } from './pages/LoginPage';
import { OverviewPage } from './pages/OverviewPage';
import { QueuePage } from './pages/queue/QueuePage';
import { QueuesPage } from './pages/QueuesPage';

function Routed() {
  const [section, a, b] = useRoute();
  switch (section) {
    case undefined:
    case 'overview':
      return <OverviewPage />;
    case 'queues':
      return a !== undefined && b !== undefined ? <QueuePage vhost={a} name={b} /> : <QueuesPage />;
    case 'exchanges':
      return a !== undefined && b !== undefined ? <ExchangePage vhost={a} name={b} /> : <ExchangesPage />;
    case 'connections':
      return <ConnectionsPage />;
    case 'channels':
      return <ChannelsPage />;
    case 'admin':
      return <AdminPage tab={a} />;
    default:
      return (
        <div class="empty">
          Nothing here. <a href="#/">Back to the overview</a>
        </div>
      );
  }
}

export function App() {
  const user = useStore(currentUser);
  const [resumed, setResumed] = useState(false);

  useEffect(() => {
    void resumeSession().finally(() => setResumed(true));
  }, []);

  useEffect(() => {
    if (!user) return;
    startOverviewFeed();
    void reloadVhosts();
    return () => stopOverviewFeed();
  }, [user?.username]);

  if (!resumed) return null;
  return (
    <>
      {user ? (
        <div class="shell">
          <TopBar user={user} />
          <main class="main">
            <Routed />
          </main>
        </div>
      ) : (
        <LoginPage />
      )}
      <Toasts />
    </>
  );
}
