// List endpoints as RabbitMQ serves them: sort, sort_reverse and columns always; with ?page=, a
// page object {items, page, page_size, page_count, item_count, filtered_count, total_count} of the
// items whose name matches ?name= (substring, or a regular expression with use_regex=true).
import { badRequest, HttpError } from './http-error.js';
import type { Json } from './json-fields.js';

export interface ListQuery {
  page?: string;
  page_size?: string;
  name?: string;
  use_regex?: string;
  sort?: string;
  sort_reverse?: string;
  columns?: string;
}

const MAX_PAGE_SIZE = 500;
const DEFAULT_PAGE_SIZE = 100;

type Row = { [key: string]: Json };

/**
 * items: the objects the caller may see; view renders one; nameOf avoids rendering to filter.
 * Sorting by name (or vhost then name, the default), or by a field sortField can read, also happens
 * before rendering, so a page of a long list renders only that page.
 */
export function listResponse<T>(
  query: ListQuery,
  items: T[],
  view: (t: T) => Row,
  nameOf: (t: T) => string,
  vhostOf?: (t: T) => string,
  /** For a sort field that can be read without rendering the view, a reader of it; else undefined. */
  sortField?: (key: string) => ((t: T) => Json) | undefined,
): Json {
  let list = items;
  const paged = query.page !== undefined;
  const total = list.length;
  // Paging parameters are checked before anything is filtered or rendered.
  let page = 0;
  let pageSize = DEFAULT_PAGE_SIZE;
  if (paged) {
    page = integer(query.page!);
    if (query.page_size !== undefined) pageSize = integer(query.page_size);
    if (page < 1 || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new HttpError(400, 'invalid_pagination_parameters', `Invalid pagination parameters: page number ${page}, page size ${pageSize}`);
    }
  }
  if (paged && query.name) {
    const needle = query.name;
    let test: (s: string) => boolean;
    if (query.use_regex === 'true') {
      let re: RegExp;
      try {
        re = new RegExp(needle, 'i');
      } catch {
        throw badRequest(INVALID);
      }
      test = (s) => re.test(s);
    } else {
      const lower = needle.toLowerCase();
      test = (s) => s.toLowerCase().includes(lower);
    }
    list = list.filter((t) => test(nameOf(t)));
  }
  const reverse = query.sort_reverse === 'true';
  const sortKey = query.sort ?? '';
  let rows: Row[] | null = null;
  const readSortField = sortKey === '' ? undefined : sortField?.(sortKey);
  if (sortKey === '' || sortKey === 'name') {
    const byName = (a: T, b: T) => compare(nameOf(a), nameOf(b));
    const cmp = sortKey === '' && vhostOf ? (a: T, b: T) => compare(vhostOf(a), vhostOf(b)) || byName(a, b) : byName;
    list = [...list].sort(reverse ? (a, b) => cmp(b, a) : cmp);
  } else if (readSortField) {
    // the same order as sorting the rendered rows, without rendering them
    const keyed = list.map((t) => ({ t, k: readSortField(t) }));
    keyed.sort((a, b) => {
      const c = compareJson(a.k, b.k);
      return reverse ? -c : c;
    });
    list = keyed.map((x) => x.t);
  } else {
    const path = sortKey.split('.');
    rows = list.map(view);
    rows.sort((a, b) => {
      const c = compareJson(pick(a, path), pick(b, path));
      return reverse ? -c : c;
    });
  }
  const columns = columnsOf(query);
  const project = (r: Row): Row => (columns ? projectColumns(r, columns) : r);
  if (!paged) return (rows ?? list.map(view)).map(project);

  const filtered = list.length;
  const pageCount = Math.ceil(filtered / pageSize);
  if (page > Math.max(pageCount, 1)) {
    throw new HttpError(400, 'page_out_of_range', `Page out of range, page: ${page} page size: ${pageSize}, len: ${filtered}`);
  }
  const start = (page - 1) * pageSize;
  const pageItems = rows ? rows.slice(start, start + pageSize) : list.slice(start, start + pageSize).map(view);
  return {
    filtered_count: filtered,
    item_count: pageItems.length,
    items: pageItems.map(project),
    page,
    page_count: pageCount,
    page_size: pageSize,
    total_count: total,
  };
}

const INVALID = 'Pagination parameters are invalid';

function integer(s: string): number {
  if (!/^-?\d+$/.test(s.trim())) throw badRequest(INVALID);
  return Number(s);
}

/** A list that is never paged (as /api/users), though columns still apply. */
export function plainList<T>(query: ListQuery, items: T[], view: (t: T) => Row): Json {
  const columns = columnsOf(query);
  return items.map((t) => (columns ? projectColumns(view(t), columns) : view(t)));
}

/** ?columns=a,b.c as paths, or null. */
export function columnsOf(query: ListQuery): string[][] | null {
  return query.columns ? query.columns.split(',').map((c) => c.trim().split('.')) : null;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function pick(r: Json, path: string[]): Json | undefined {
  let v: Json | undefined = r;
  for (const p of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = v[p];
  }
  return v;
}

/** Numbers numerically, strings alphabetically, missing values first. */
function compareJson(a: Json | undefined, b: Json | undefined): number {
  if (a === undefined || a === null) return b === undefined || b === null ? 0 : -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return compare(String(a), String(b));
}

/** Keeps only the given (possibly nested, dot-separated) fields. */
export function projectColumns(r: Row, columns: string[][]): Row {
  const out: Row = {};
  for (const path of columns) {
    // A dotted column keeps its parent object even when the key is not in it (RabbitMQ: "arguments": {}).
    if (path.length > 1) {
      const parent = pick(r, path.slice(0, -1));
      if (parent !== null && typeof parent === 'object' && !Array.isArray(parent)) {
        let o = out;
        for (const p of path.slice(0, -1)) {
          const next = o[p];
          if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) o[p] = {};
          o = o[p] as Row;
        }
      }
    }
    const v = pick(r, path);
    if (v === undefined) continue;
    let o = out;
    for (let i = 0; i < path.length - 1; i++) {
      const next = o[path[i]];
      if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) o[path[i]] = {};
      o = o[path[i]] as Row;
    }
    o[path[path.length - 1]] = v;
  }
  return out;
}
