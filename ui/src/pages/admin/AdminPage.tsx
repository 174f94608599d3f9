// Administration: users and their permissions, virtual hosts, policies, definitions export/import.
import { PageHeader } from '../../components/ui';
import { href } from '../../lib/router';
import { DefinitionsTab } from './DefinitionsTab';
import { PoliciesTab } from './PoliciesTab';
import { UsersTab } from './UsersTab';
import { VhostsTab } from './VhostsTab';

const TABS = [
  { id: 'users', label: 'Users & permissions' },
  { id: 'vhosts', label: 'Virtual hosts' },
  { id: 'policies', label: 'Policies' },
  { id: 'definitions', label: 'Definitions' },
];

export function AdminPage({ tab = 'users' }: { tab?: string }) {
  return (
    <div class="page">
      <PageHeader title="Admin" />
      <nav class="subnav">
        {TABS.map((t) => (
          <a href={href('admin', t.id)} class={tab === t.id ? 'active' : ''}>
            {t.label}
          </a>
        ))}
      </nav>
      {tab === 'users' && <UsersTab />}
      {tab === 'vhosts' && <VhostsTab />}
      {tab === 'policies' && <PoliciesTab />}
      {tab === 'definitions' && <DefinitionsTab />}
    </div>
  );
}
