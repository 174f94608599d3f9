// Form controls with labels, and an editor for typed key/value tables (arguments, headers, definitions).
import type { ComponentChildren } from 'preact';

/**
 * A labelled control. `group` is for compound controls (an editor with several inputs and buttons), which a
 * <label> must not wrap: it would give every button inside the label's name.
 */
export function Field({ label, hint, children, wide, group }: { label: string; hint?: ComponentChildren; children: ComponentChildren; wide?: boolean; group?: boolean }) {
  const className = `field${wide ? ' field-wide' : ''}`;
  const content = (
    <>
      <span class="field-label">{label}</span>
      {children}
      {hint && <span class="field-hint">{hint}</span>}
    </>
  );
  return group ? (
    <div class={className} role="group" aria-label={label}>
      {content}
    </div>
  ) : (
    <label class={className}>{content}</label>
  );
}

export function TextInput({
  value,
  onInput,
  placeholder,
  type = 'text',
  required,
  name,
  autoFocus,
}: {
  value: string;
  onInput: (v: string) => void;
  placeholder?: string;
  type?: 'text' | 'password' | 'number';
  required?: boolean;
  name?: string;
  autoFocus?: boolean;
}) {
  return (
    <input
      class="input"
      // Preact's input typings tie `type` to the other attributes; all three take these ones.
      type={type as 'text'}
      name={name}
      value={value}
      placeholder={placeholder}
      required={required}
      autoFocus={autoFocus}
      onInput={(e) => onInput((e.target as HTMLInputElement).value)}
    />
  );
}

export function Select<T extends string>({ value, options, onChange, name }: { value: T; options: Array<{ value: T; label: string }> | readonly T[]; onChange: (v: T) => void; name?: string }) {
  const list = (options as Array<{ value: T; label: string } | T>).map((o) => (typeof o === 'string' ? { value: o, label: o } : o));
  return (
    <select class="input" name={name} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value as T)}>
      {list.map((o) => (
        <option value={o.value}>{o.label}</option>
      ))}
    </select>
  );
}

export type ValueType = 'string' | 'number' | 'boolean' | 'json';

export interface TypedEntry {
  key: string;
  value: string;
  type: ValueType;
}

/** Turns editor rows into an object, or throws with the row at fault. */
export function entriesToObject(entries: TypedEntry[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value, type } of entries) {
    if (!key.trim()) continue;
    switch (type) {
      case 'number': {
        const n = Number(value);
        if (value.trim() === '' || Number.isNaN(n)) throw new Error(`${key}: "${value}" is not a number`);
        out[key] = n;
        break;
      }
      case 'boolean':
        out[key] = value === 'true';
        break;
      case 'json':
        try {
          out[key] = JSON.parse(value);
        } catch {
          throw new Error(`${key}: not valid JSON`);
        }
        break;
      default:
        out[key] = value;
    }
  }
  return out;
}

export function objectToEntries(obj: Record<string, unknown> | undefined): TypedEntry[] {
  return Object.entries(obj ?? {}).map(([key, value]) => {
    if (typeof value === 'number') return { key, value: String(value), type: 'number' as const };
    if (typeof value === 'boolean') return { key, value: String(value), type: 'boolean' as const };
    if (typeof value === 'string') return { key, value, type: 'string' as const };
    return { key, value: JSON.stringify(value), type: 'json' as const };
  });
}

interface KeyValueEditorProps {
  entries: TypedEntry[];
  onChange: (entries: TypedEntry[]) => void;
  /** well-known keys offered as one-click additions, with the type they take */
  suggestions?: Array<{ key: string; type: ValueType; label?: string }>;
  keyPlaceholder?: string;
}

export function KeyValueEditor({ entries, onChange, suggestions = [], keyPlaceholder = 'key' }: KeyValueEditorProps) {
  const update = (index: number, patch: Partial<TypedEntry>) => onChange(entries.map((e, i) => (i === index ? { ...e, ...patch } : e)));
  const unused = suggestions.filter((s) => !entries.some((e) => e.key === s.key));
  return (
    <div class="kv-editor">
      {entries.map((entry, index) => (
        <div class="kv-row">
          <input class="input" placeholder={keyPlaceholder} value={entry.key} onInput={(e) => update(index, { key: (e.target as HTMLInputElement).value })} />
          <span class="kv-eq">=</span>
          {entry.type === 'boolean' ? (
            <select class="input" value={entry.value} onChange={(e) => update(index, { value: (e.target as HTMLSelectElement).value })}>
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          ) : (
            <input class="input" placeholder="value" value={entry.value} onInput={(e) => update(index, { value: (e.target as HTMLInputElement).value })} />
          )}
          <select
            class="input kv-type"
            value={entry.type}
            aria-label="value type"
            onChange={(e) => {
              const type = (e.target as HTMLSelectElement).value as ValueType;
              update(index, { type, value: type === 'boolean' ? 'true' : entry.value });
            }}
          >
            <option value="string">String</option>
            <option value="number">Number</option>
            <option value="boolean">Boolean</option>
            <option value="json">JSON</option>
          </select>
          <button type="button" class="icon-button" aria-label="Remove" onClick={() => onChange(entries.filter((_, i) => i !== index))}>
            ×
          </button>
        </div>
      ))}
      <div class="kv-add">
        <button type="button" class="button button-small" onClick={() => onChange([...entries, { key: '', value: '', type: 'string' }])}>
          + Add
        </button>
        {unused.map((s) => (
          <button
            type="button"
            class="chip"
            onClick={() => onChange([...entries, { key: s.key, value: s.type === 'boolean' ? 'true' : '', type: s.type }])}
          >
            {s.label ?? s.key}
          </button>
        ))}
      </div>
    </div>
  );
}
