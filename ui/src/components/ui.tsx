// Small presentational pieces shared by the pages.
import type { ComponentChildren } from 'preact';

export function PageHeader({ title, subtitle, actions }: { title: ComponentChildren; subtitle?: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <header class="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle && <div class="page-subtitle">{subtitle}</div>}
      </div>
      {actions && <div class="page-actions">{actions}</div>}
    </header>
  );
}

export function Card({ title, actions, children, class: extra }: { title?: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren; class?: string }) {
  return (
    <section class={`card${extra ? ` ${extra}` : ''}`}>
      {(title || actions) && (
        <header class="card-head">
          {title && <h2>{title}</h2>}
          {actions && <div class="card-actions">{actions}</div>}
        </header>
      )}
      {children}
    </section>
  );
}

export function Stat({ label, value, hint, tone }: { label: string; value: ComponentChildren; hint?: ComponentChildren; tone?: 'warn' | 'danger' | 'ok' }) {
  return (
    <div class={`stat${tone ? ` stat-${tone}` : ''}`}>
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      {hint && <div class="stat-hint">{hint}</div>}
    </div>
  );
}

export type BadgeTone = 'neutral' | 'accent' | 'dlq' | 'warn' | 'danger' | 'ok';

export function Badge({ tone = 'neutral', title, children }: { tone?: BadgeTone; title?: string; children: ComponentChildren }) {
  return (
    <span class={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

export function ErrorBox({ error, children }: { error?: Error; children?: ComponentChildren }) {
  if (!error && !children) return null;
  return (
    <div class="alert alert-error" role="alert">
      {children ?? error?.message}
    </div>
  );
}

export function Notice({ tone = 'info', children }: { tone?: 'info' | 'warn'; children: ComponentChildren }) {
  return <div class={`alert alert-${tone}`}>{children}</div>;
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return <div class="loading">{what}…</div>;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

/** x-arguments or a policy definition as a compact list of key = value. */
export function ArgumentList({ args }: { args?: Record<string, unknown> }) {
  const entries = Object.entries(args ?? {});
  if (entries.length === 0) return <span class="muted">none</span>;
  return (
    <dl class="arg-list">
      {entries.map(([key, value]) => (
        <>
          <dt>{key}</dt>
          <dd>{typeof value === 'string' ? value || <span class="muted">""</span> : JSON.stringify(value)}</dd>
        </>
      ))}
    </dl>
  );
}

/** Short feature flags of a queue or exchange: D durable, AD auto-delete, Excl exclusive, I internal. */
export function FeatureFlags({ durable, autoDelete, exclusive, internal }: { durable?: boolean; autoDelete?: boolean; exclusive?: boolean; internal?: boolean }) {
  return (
    <span class="flags">
      {durable && <abbr title="durable">D</abbr>}
      {autoDelete && <abbr title="auto-delete">AD</abbr>}
      {exclusive && <abbr title="exclusive">Excl</abbr>}
      {internal && <abbr title="internal">I</abbr>}
      {!durable && !autoDelete && !exclusive && !internal && <span class="muted">transient</span>}
    </span>
  );
}
