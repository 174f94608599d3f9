// Pieces of the data tables: sortable headers, the pager and the filter box.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

export interface SortState {
  key: string;
  reverse: boolean;
}

interface SortHeaderProps {
  label: ComponentChildren;
  sortKey: string;
  sort: SortState;
  onSort: (next: SortState) => void;
  numeric?: boolean;
  title?: string;
}

/** A column header that sorts by `sortKey`; a second click reverses. Numbers sort largest first. */
export function SortHeader({ label, sortKey, sort, onSort, numeric, title }: SortHeaderProps) {
  const active = sort.key === sortKey;
  const arrow = active ? (sort.reverse ? '▼' : '▲') : '';
  return (
    <th
      class={`sortable${numeric ? ' num' : ''}${active ? ' sorted' : ''}`}
      title={title}
      aria-sort={active ? (sort.reverse ? 'descending' : 'ascending') : 'none'}
    >
      <button type="button" onClick={() => onSort({ key: sortKey, reverse: active ? !sort.reverse : !!numeric })}>
        {label}
        <span class="sort-arrow">{arrow}</span>
      </button>
    </th>
  );
}

interface PagerProps {
  page: number;
  pageCount: number;
  pageSize: number;
  shown: number;
  total: number;
  /** items before filtering, when it differs from `total` */
  unfiltered?: number;
  onPage: (page: number) => void;
  onPageSize: (size: number) => void;
}

export const PAGE_SIZES = [25, 50, 100, 500];

export function Pager({ page, pageCount, pageSize, shown, total, unfiltered, onPage, onPageSize }: PagerProps) {
  const from = total === 0 ? 0 : (page - 1) * pageSize + 1;
  return (
    <div class="pager">
      <span class="muted">
        {from}–{from + shown - (shown ? 1 : 0)} of {total}
        {unfiltered !== undefined && unfiltered !== total ? ` (filtered from ${unfiltered})` : ''}
      </span>
      <span class="pager-controls">
        <label class="muted">
          Rows{' '}
          <select value={pageSize} onChange={(e) => onPageSize(Number((e.target as HTMLSelectElement).value))}>
            {PAGE_SIZES.map((size) => (
              <option value={size}>{size}</option>
            ))}
          </select>
        </label>
        <button class="button button-small" disabled={page <= 1} onClick={() => onPage(page - 1)} aria-label="Previous page">
          ‹
        </button>
        <span class="pager-page">
          {page} / {Math.max(1, pageCount)}
        </span>
        <button class="button button-small" disabled={page >= pageCount} onClick={() => onPage(page + 1)} aria-label="Next page">
          ›
        </button>
      </span>
    </div>
  );
}

interface FilterProps {
  value: string;
  onInput: (value: string) => void;
  placeholder: string;
  regex?: boolean;
  onRegex?: (on: boolean) => void;
}

export function FilterBox({ value, onInput, placeholder, regex, onRegex }: FilterProps) {
  return (
    <div class="filter">
      <input
        type="search"
        class="input filter-input"
        placeholder={placeholder}
        value={value}
        onInput={(e) => onInput((e.target as HTMLInputElement).value)}
        aria-label={placeholder}
      />
      {onRegex && (
        <label class="check" title="Treat the filter as a regular expression">
          <input type="checkbox" checked={regex} onChange={(e) => onRegex((e.target as HTMLInputElement).checked)} /> regex
        </label>
      )}
    </div>
  );
}

/** Sorts rows in the browser, for listings the API gives whole. */
export function sortRows<T>(rows: T[], sort: SortState, value: (row: T, key: string) => unknown): T[] {
  const sorted = [...rows].sort((a, b) => {
    const x = value(a, sort.key);
    const y = value(b, sort.key);
    if (typeof x === 'number' || typeof y === 'number') return (Number(x ?? -Infinity) || 0) - (Number(y ?? -Infinity) || 0);
    return String(x ?? '').localeCompare(String(y ?? ''));
  });
  return sort.reverse ? sorted.reverse() : sorted;
}

/** Filter, sort and page a whole listing in the browser. */
export function pageRows<T>(rows: T[], page: number, pageSize: number): { rows: T[]; pageCount: number; page: number } {
  const pageCount = Math.max(1, Math.ceil(rows.length / pageSize));
  const current = Math.min(page, pageCount);
  return { rows: rows.slice((current - 1) * pageSize, current * pageSize), pageCount, page: current };
}

/**
 * A listing the API gives whole, filtered, sorted and paged in the browser: the state, the rows of the
 * current page, and the props for the filter box, the sortable headers and the pager. Any change of
 * filter, sort or page size goes back to page 1.
 */
export function useBrowserListing<T>(
  data: T[] | undefined,
  /** whether a row matches the lower-cased, trimmed filter text (never called with '') */
  matches: (row: T, needle: string) => boolean,
  sortValue: (row: T, key: string) => unknown,
) {
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<SortState>({ key: 'name', reverse: false });
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(50);
  const needle = filter.trim().toLowerCase();
  const all = data ?? [];
  const filtered = needle ? all.filter((row) => matches(row, needle)) : all;
  const shown = pageRows(sortRows(filtered, sort, sortValue), page, pageSize);
  return {
    filter,
    needle,
    rows: shown.rows,
    /** back to the first page, for filters kept outside the listing */
    firstPage: () => setPage(1),
    filterProps: { value: filter, onInput: (v: string) => (setFilter(v), setPage(1)) },
    sortProps: { sort, onSort: (s: SortState) => (setSort(s), setPage(1)) },
    pagerProps: {
      page: shown.page,
      pageCount: shown.pageCount,
      pageSize,
      shown: shown.rows.length,
      total: filtered.length,
      unfiltered: all.length,
      onPage: setPage,
      onPageSize: (size: number) => (setPageSize(size), setPage(1)),
    } satisfies PagerProps,
  };
}

/** The one row of an empty table body, saying why it is empty. */
export function EmptyRow({ colSpan, children }: { colSpan: number; children: ComponentChildren }) {
  return (
    <tr>
      <td colSpan={colSpan} class="empty">
        {children}
      </td>
    </tr>
  );
}
