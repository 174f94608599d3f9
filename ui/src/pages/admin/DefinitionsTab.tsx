// Definitions: download the broker's (or one vhost's) definitions as JSON, and import a file.
import { useState } from 'preact/hooks';
import { exportDefinitions, importDefinitions } from '../../api/endpoints';
import type { Definitions } from '../../api/types';
import { Field, Select } from '../../components/form';
import { notify, notifyError } from '../../components/notify';
import { Card, ErrorBox } from '../../components/ui';
import { count } from '../../lib/format';
import { useStore } from '../../lib/store';
import { vhostNames } from '../../lib/vhosts';

const SECTIONS = ['users', 'vhosts', 'permissions', 'policies', 'exchanges', 'queues', 'bindings'] as const;

function Summary({ definitions }: { definitions: Definitions }) {
  return (
    <div class="definition-summary">
      {SECTIONS.filter((s) => Array.isArray(definitions[s])).map((s) => (
        <span>
          <strong>{count((definitions[s] as unknown[]).length)}</strong> {s}
        </span>
      ))}
    </div>
  );
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const ALL = '\u0000all';

export function DefinitionsTab() {
  const names = useStore(vhostNames);
  const [exportScope, setExportScope] = useState(ALL);
  const [exported, setExported] = useState<Definitions | null>(null);
  const [importScope, setImportScope] = useState(ALL);
  const [text, setText] = useState('');
  const [parsed, setParsed] = useState<Definitions | null>(null);
  const [parseError, setParseError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const scopes = [{ value: ALL, label: 'All (the whole broker)' }, ...names.map((n) => ({ value: n, label: `vhost ${n}` }))];

  async function doExport() {
    try {
      const vhost = exportScope === ALL ? null : exportScope;
      const definitions = await exportDefinitions(vhost);
      setExported(definitions);
      const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
      download(`definitions${vhost ? `-${vhost.replace(/[^\w.-]+/g, '_')}` : ''}-${stamp}.json`, JSON.stringify(definitions, null, 2));
      notify('Definitions downloaded');
    } catch (err) {
      notifyError(err);
    }
  }

  function onText(value: string) {
    setText(value);
    if (!value.trim()) {
      setParsed(null);
      setParseError(null);
      return;
    }
    try {
      const value2 = JSON.parse(value) as unknown;
      if (typeof value2 !== 'object' || value2 === null || Array.isArray(value2)) throw new Error('expected a JSON object');
      setParsed(value2 as Definitions);
      setParseError(null);
    } catch (err) {
      setParsed(null);
      setParseError(`Not a definitions document: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async function doImport() {
    if (!parsed) return;
    setBusy(true);
    try {
      await importDefinitions(importScope === ALL ? null : importScope, parsed);
      notify('Definitions imported');
    } catch (err) {
      notifyError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="grid-2">
      <Card title="Export">
        <p class="muted">Users, vhosts, permissions, policies, exchanges, queues and bindings as one JSON file, in RabbitMQ's format.</p>
        <div class="form-inline">
          <Field label="Scope">
            <Select value={exportScope} options={scopes} onChange={setExportScope} />
          </Field>
          <button class="button button-primary" onClick={doExport}>
            Download definitions
          </button>
        </div>
        {exported && <Summary definitions={exported} />}
      </Card>
      <Card title="Import">
        <p class="muted">Adds or replaces what the file defines; nothing else is removed.</p>
        <div class="form">
          <Field label="File">
            <input
              type="file"
              accept="application/json,.json"
              class="input"
              onChange={async (e) => {
                const file = (e.target as HTMLInputElement).files?.[0];
                if (file) onText(await file.text());
              }}
            />
          </Field>
          <Field label="…or paste JSON" wide>
            <textarea class="input code-input" rows={8} value={text} spellcheck={false} onInput={(e) => onText((e.target as HTMLTextAreaElement).value)} />
          </Field>
          {parseError && <ErrorBox>{parseError}</ErrorBox>}
          {parsed && <Summary definitions={parsed} />}
          <div class="form-actions">
            <Field label="Into">
              <Select value={importScope} options={scopes} onChange={setImportScope} />
            </Field>
            <button class="button button-primary" disabled={!parsed || busy} onClick={doImport}>
              {busy ? 'Importing…' : 'Import definitions'}
            </button>
          </div>
        </div>
      </Card>
    </div>
  );
}
