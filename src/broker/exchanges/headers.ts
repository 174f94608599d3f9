// Headers exchange: a binding's arguments list header values that the message's headers must carry,
// all of them or any one (x-match), ignoring x- prefixed keys unless x-match ends in "-with-x".
import { fieldValuesMatch, stringOf, typeName, type Field, type FieldTable } from '../../amqp/field-table.js';
import type { Binding } from '../binding.js';
import { precondition } from '../errors.js';
import type { Router } from '../exchange.js';
import type { Message } from '../message.js';

type Mode = 'all' | 'any' | 'all-with-x' | 'any-with-x';
const MODES = new Set<string>(['all', 'any', 'all-with-x', 'any-with-x']);

interface Rule {
  binding: Binding;
  any: boolean;
  keys: string[];
  values: Field[];
}

function modeOf(args: FieldTable): Mode {
  const f = args.get('x-match');
  if (f === undefined) return 'all';
  const s = stringOf(f);
  if (s === undefined) {
    const shown = f.type === 'l' ? f.value.toString() : JSON.stringify(f.value);
    throw precondition(`Invalid x-match field type ${typeName(f.type)} (value ${shown}); expected longstr`);
  }
  if (!MODES.has(s)) throw precondition(`Invalid x-match field value <<"${s}">>; expected all, any, all-with-x, or any-with-x`);
  return s as Mode;
}

export class HeadersRouter implements Router {
  private rules: Rule[] = [];

  validate(b: Binding): void {
    modeOf(b.args);
  }

  add(b: Binding): void {
    const mode = modeOf(b.args);
    const withX = mode.endsWith('-with-x');
    const keys: string[] = [];
    const values: Field[] = [];
    for (const [k, v] of b.args) {
      if (k === 'x-match' || (!withX && k.startsWith('x-'))) continue;
      keys.push(k);
      values.push(v);
    }
    this.rules.push({ binding: b, any: mode.startsWith('any'), keys, values });
  }

  remove(b: Binding): void {
    this.rules = this.rules.filter((r) => r.binding !== b);
  }

  match(msg: Message, _routingKey: string, out: Binding[]): void {
    if (this.rules.length === 0) return;
    const headers = msg.properties.headers;
    for (const r of this.rules) if (matches(r, headers)) out.push(r.binding);
  }
}

function matches(r: Rule, headers: FieldTable | undefined): boolean {
  if (r.keys.length === 0) return !r.any;
  for (let i = 0; i < r.keys.length; i++) {
    const h = headers?.get(r.keys[i]);
    const want = r.values[i];
    // A void binding value asks only that the header be present.
    const ok = h !== undefined && (want.type === 'V' || fieldValuesMatch(want, h));
    if (r.any && ok) return true;
    if (!r.any && !ok) return false;
  }
  return !r.any;
}
