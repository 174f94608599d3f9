// Users (add, change tags or password, delete) and permissions (set, clear) per vhost.
import { useState } from 'preact/hooks';
import { clearPermission, deleteUser, permissions as fetchPermissions, saveUser, setPermission, users as fetchUsers } from '../../api/endpoints';
import type { Permission, User } from '../../api/types';
import { Field, Select, TextInput } from '../../components/form';
import { Confirm, Modal } from '../../components/Modal';
import { notify, notifyError } from '../../components/notify';
import { Badge, Card, ErrorBox, Loading } from '../../components/ui';
import { tagList } from '../../lib/format';
import { usePoll } from '../../lib/poll';
import { useStore } from '../../lib/store';
import { vhostNames } from '../../lib/vhosts';

const KNOWN_TAGS = ['administrator', 'monitoring', 'policymaker', 'management', 'impersonator'];

function UserDialog({ user, onClose, onSaved }: { user: User | null; onClose: () => void; onSaved: () => void }) {
  const [name, setName] = useState(user?.name ?? '');
  const [password, setPassword] = useState('');
  const [tags, setTags] = useState<string[]>(tagList(user?.tags));
  const [error, setError] = useState<string | null>(null);
  const toggle = (tag: string) => setTags(tags.includes(tag) ? tags.filter((t) => t !== tag) : [...tags, tag]);

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      if (password) await saveUser(name, { password, tags: tags.join(',') });
      else if (user?.password_hash !== undefined) await saveUser(name, { password_hash: user.password_hash, hashing_algorithm: user.hashing_algorithm, tags: tags.join(',') });
      else throw new Error('A new user needs a password');
      notify(user ? `Updated ${name}` : `Added user ${name}`);
      onSaved();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <Modal title={user ? `Edit ${user.name}` : 'Add user'} onClose={onClose}>
      <form class="form" onSubmit={submit}>
        {error && <ErrorBox>{error}</ErrorBox>}
        <Field label="Username">
          <TextInput value={name} onInput={setName} required autoFocus={!user} />
        </Field>
        <Field label="Password" hint={user ? 'Leave empty to keep the current password.' : undefined}>
          <TextInput value={password} onInput={setPassword} type="password" required={!user} />
        </Field>
        <div class="field">
          <span class="field-label">Tags</span>
          <div class="chips">
            {[...new Set([...KNOWN_TAGS, ...tags])].map((tag) => (
              <button type="button" class={`chip${tags.includes(tag) ? ' chip-on' : ''}`} onClick={() => toggle(tag)} aria-pressed={tags.includes(tag)}>
                {tag}
              </button>
            ))}
          </div>
        </div>
        <div class="form-actions">
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={!name}>
            {user ? 'Save' : 'Add user'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function PermissionForm({ users, onSaved }: { users: string[]; onSaved: () => void }) {
  const vhosts = useStore(vhostNames);
  const [user, setUser] = useState('');
  const [vhost, setVhost] = useState('');
  const [configure, setConfigure] = useState('.*');
  const [write, setWrite] = useState('.*');
  const [read, setRead] = useState('.*');
  const chosenUser = user || users[0] || '';
  const chosenVhost = vhost || vhosts[0] || '/';
  return (
    <form
      class="form-inline permission-form"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          await setPermission(chosenVhost, chosenUser, { configure, write, read });
          notify(`Permissions set for ${chosenUser} on ${chosenVhost}`);
          onSaved();
        } catch (err) {
          notifyError(err);
        }
      }}
    >
      <Field label="User">
        <Select value={chosenUser} options={users} onChange={setUser} />
      </Field>
      <Field label="Vhost">
        <Select value={chosenVhost} options={vhosts} onChange={setVhost} />
      </Field>
      <Field label="Configure">
        <TextInput value={configure} onInput={setConfigure} />
      </Field>
      <Field label="Write">
        <TextInput value={write} onInput={setWrite} />
      </Field>
      <Field label="Read">
        <TextInput value={read} onInput={setRead} />
      </Field>
      <button class="button button-primary" type="submit" disabled={!chosenUser}>
        Set permission
      </button>
    </form>
  );
}

export function UsersTab() {
  const { data: users, error, refresh } = usePoll((signal) => fetchUsers(signal), []);
  const { data: perms, error: permError, refresh: refreshPerms } = usePoll((signal) => fetchPermissions(signal), []);
  const [editing, setEditing] = useState<User | null | 'new'>(null);
  const [deleting, setDeleting] = useState<User | null>(null);
  const byUser = new Map<string, Permission[]>();
  for (const p of perms ?? []) byUser.set(p.user, [...(byUser.get(p.user) ?? []), p]);

  return (
    <>
      <Card
        title="Users"
        actions={
          <button class="button button-primary" onClick={() => setEditing('new')}>
            Add user
          </button>
        }
      >
        <ErrorBox error={error} />
        {!users ? (
          !error && <Loading />
        ) : (
          <table class="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Tags</th>
                <th>Can access</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr>
                  <td class="strong">{u.name}</td>
                  <td>
                    {tagList(u.tags).map((t) => (
                      <Badge tone={t === 'administrator' ? 'accent' : 'neutral'}>{t}</Badge>
                    ))}
                    {tagList(u.tags).length === 0 && <span class="muted">no tags (AMQP only)</span>}
                  </td>
                  <td>{(byUser.get(u.name) ?? []).map((p) => p.vhost).join(', ') || <span class="muted">no vhost</span>}</td>
                  <td class="actions">
                    <button class="button button-small" onClick={() => setEditing(u)}>
                      Edit
                    </button>
                    <button class="button button-small button-danger-ghost" onClick={() => setDeleting(u)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <Card title="Permissions">
        <ErrorBox error={permError} />
        {perms && (
          <table class="table">
            <thead>
              <tr>
                <th>User</th>
                <th>Vhost</th>
                <th>Configure</th>
                <th>Write</th>
                <th>Read</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {perms.map((p) => (
                <tr>
                  <td class="strong">{p.user}</td>
                  <td>{p.vhost}</td>
                  <td class="mono">{p.configure || <span class="muted">none</span>}</td>
                  <td class="mono">{p.write || <span class="muted">none</span>}</td>
                  <td class="mono">{p.read || <span class="muted">none</span>}</td>
                  <td class="actions">
                    <button
                      class="button button-small button-danger-ghost"
                      onClick={async () => {
                        try {
                          await clearPermission(p.vhost, p.user);
                          notify(`Cleared ${p.user}'s permissions on ${p.vhost}`);
                          refreshPerms();
                        } catch (err) {
                          notifyError(err);
                        }
                      }}
                    >
                      Clear
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <PermissionForm users={(users ?? []).map((u) => u.name)} onSaved={refreshPerms} />
      </Card>
      {editing && (
        <UserDialog
          user={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            refresh();
          }}
        />
      )}
      {deleting && (
        <Confirm
          title="Delete user"
          message={
            <>
              Delete <strong>{deleting.name}</strong> and its permissions? It can no longer sign in or open new connections.
            </>
          }
          confirmLabel="Delete user"
          danger
          onConfirm={async () => {
            await deleteUser(deleting.name);
            notify(`Deleted user ${deleting.name}`);
            refresh();
            refreshPerms();
          }}
          onClose={() => setDeleting(null)}
        />
      )}
    </>
  );
}
