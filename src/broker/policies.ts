// Policies: named rules that set queue and exchange behaviour (TTL, limits, dead-lettering, …) for every
// object whose name matches a pattern. At most one policy applies to an object: the matching one with
// the highest priority, as in RabbitMQ.
import type { Overflow, PolicyDefinition } from './queue-settings.js';

export type PolicyTarget = 'queues' | 'exchanges' | 'all';

export interface Policy {
  vhost: string;
  name: string;
  pattern: string;
  applyTo: PolicyTarget;
  priority: number;
  definition: PolicyDefinition;
}

interface Entry {
  policy: Policy;
  regex: RegExp;
}

export class PolicySet {
  private readonly byName = new Map<string, Entry>();

  get size(): number {
    return this.byName.size;
  }

  /** Adds or replaces the policy of that name. The pattern must already be a valid regular expression. */
  set(p: Policy): void {
    this.byName.set(p.name, { policy: p, regex: compilePolicyPattern(p.pattern) });
  }

  clear(): void {
    this.byName.clear();
  }

  delete(name: string): boolean {
    return this.byName.delete(name);
  }

  get(name: string): Policy | undefined {
    return this.byName.get(name)?.policy;
  }

  list(): Policy[] {
    return [...this.byName.values()].map((e) => e.policy);
  }

  /** The policy for an object: the matching one of highest priority (ties: the name that sorts last wins, deterministically). */
  match(kind: 'queue' | 'exchange', name: string): Policy | undefined {
    let best: Policy | undefined;
    for (const { policy, regex } of this.byName.values()) {
      if (policy.applyTo !== 'all' && policy.applyTo !== (kind === 'queue' ? 'queues' : 'exchanges')) continue;
      if (!regex.test(name)) continue;
      if (!best || policy.priority > best.priority || (policy.priority === best.priority && policy.name > best.name)) best = policy;
    }
    return best;
  }
}

// ---- validation (rabbitmqctl set_policy, PUT /api/policies/{vhost}/{name}, definitions files) ----

/** A policy refused as invalid; the message lists what to fix, in RabbitMQ's words. */
export class PolicyError extends Error {
  override name = 'PolicyError';
}

/** The definition keys Warren applies, with RabbitMQ 3.10's check and complaint for each. */
const DEFINITION_KEYS: { [K in keyof PolicyDefinition]-?: { ok(v: unknown): boolean; what: string } } = {
  'alternate-exchange': { ok: isString, what: 'alternate exchange name' },
  'dead-letter-exchange': { ok: isString, what: 'dead letter exchange name' },
  'dead-letter-routing-key': { ok: isString, what: 'dead letter routing key' },
  'delivery-limit': { ok: (v) => isInteger(v) && v >= 0, what: 'delivery limit' },
  expires: { ok: (v) => isInteger(v) && v >= 1, what: 'queue expiry' },
  'max-length': { ok: (v) => isInteger(v) && v >= 0, what: 'maximum length' },
  'max-length-bytes': { ok: (v) => isInteger(v) && v >= 0, what: 'maximum length in bytes' },
  'message-ttl': { ok: (v) => isInteger(v) && v >= 0, what: 'message TTL' },
  overflow: { ok: (v) => (OVERFLOWS as unknown[]).includes(v), what: 'overflow value' },
  'queue-mode': { ok: (v) => v === 'default' || v === 'lazy', what: 'queue-mode value' },
};

const OVERFLOWS: Overflow[] = ['drop-head', 'reject-publish', 'reject-publish-dlx'];

/**
 * Classic mirroring keys: RabbitMQ accepts them on a single node, where they change nothing, and so
 * does Warren (which has one node), so policies written for a cluster still apply.
 */
const MIRRORING_KEYS = new Set(['ha-mode', 'ha-params', 'ha-sync-mode', 'ha-sync-batch-size', 'ha-promote-on-shutdown', 'ha-promote-on-failure']);

/** The policy definition keys Warren supports, sorted. */
export const POLICY_KEYS: readonly string[] = Object.keys(DEFINITION_KEYS).sort();

function isString(v: unknown): v is string {
  return typeof v === 'string';
}

/** JSON integers; past 2^53 JavaScript cannot tell 1e21 (a float to RabbitMQ) from an integer, so those are refused. */
function isInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function isObject(v: unknown): v is { [key: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates a policy as RabbitMQ 3.10 does for `rabbitmqctl set_policy` and `PUT /api/policies/{vhost}/{name}`.
 * input is the JSON body: {pattern, definition, priority?, "apply-to"?} (other keys, such as the vhost and
 * name of an exported policy, are ignored). Every problem is reported at once, one a line, after RabbitMQ's
 * "Validation failed" heading: first the definition's, then apply-to's, the pattern's and the priority's.
 */
export function parsePolicy(vhost: string, name: string, input: unknown): Policy {
  if (!isObject(input)) {
    throw new PolicyError(`policy '${name}' in vhost '${vhost}' must be a JSON object with pattern and definition, not ${erlangTerm(input)}`);
  }
  const problems: string[] = [];

  const def = input.definition;
  const definition: { [key: string]: unknown } = {};
  if (def === undefined) {
    problems.push('definition is missing: give an object of policy settings, e.g. {"message-ttl": 60000}');
  } else if (!isObject(def)) {
    problems.push(`definition must be a dictionary: ${erlangTerm(def)}`);
  } else if (Object.keys(def).length === 0) {
    problems.push('no policy provided');
  } else {
    // RabbitMQ checks the keys in sorted order and reports the first bad value; unknown keys only once
    // every known one is valid.
    const keys = Object.keys(def).sort();
    const unknown = keys.filter((k) => !Object.hasOwn(DEFINITION_KEYS, k) && !MIRRORING_KEYS.has(k));
    const bad = keys.find((k) => Object.hasOwn(DEFINITION_KEYS, k) && !DEFINITION_KEYS[k as keyof PolicyDefinition].ok(def[k]));
    if (bad !== undefined) {
      problems.push(`${erlangTerm(def[bad])} is not a valid ${DEFINITION_KEYS[bad as keyof PolicyDefinition].what}`);
    } else if (unknown.length > 0) {
      problems.push(
        `[${unknown.map((k) => `{${erlangTerm(k)},${erlangTerm(def[k])}}`).join(',')}] are not recognised policy settings ` +
          `(Warren supports ${POLICY_KEYS.join(', ')})`,
      );
    }
    for (const k of keys) definition[k] = def[k];
  }

  const applyTo = input['apply-to'] === undefined ? 'all' : input['apply-to'];
  if (applyTo !== 'queues' && applyTo !== 'exchanges' && applyTo !== 'all') {
    problems.push(`apply-to ${typeof applyTo === 'string' ? `'${applyTo}'` : erlangTerm(applyTo)} unrecognised; should be 'queues', 'exchanges' or 'all'`);
  }

  const pattern = input.pattern;
  if (pattern === undefined) {
    problems.push('pattern is missing: give a regular expression that the names of queues and/or exchanges must match');
  } else if (typeof pattern !== 'string') {
    problems.push(`pattern should be a binary but was ${erlangTerm(pattern)}`);
  } else {
    try {
      compilePolicyPattern(pattern);
    } catch (err) {
      const reason = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
      problems.push(`pattern should be regular expression but is invalid: ${reason}`);
    }
  }

  // RabbitMQ's HTTP API takes any JSON number (rabbitmqctl only integers).
  const priority = input.priority === undefined ? 0 : input.priority;
  if (typeof priority !== 'number' || !Number.isFinite(priority)) {
    problems.push(`priority should be a number, actually was ${erlangTerm(input.priority)}`);
  }

  if (problems.length > 0) throw new PolicyError(`Validation failed\n\n${problems.join('\n')}\n`);
  return {
    vhost,
    name,
    pattern: pattern as string,
    applyTo: applyTo as PolicyTarget,
    priority: priority as number,
    definition: definition as PolicyDefinition,
  };
}

/** RabbitMQ's JSON shape of a policy (GET /api/policies, definitions export). */
export function policyToJson(p: Policy): {
  vhost: string;
  name: string;
  pattern: string;
  'apply-to': PolicyTarget;
  definition: PolicyDefinition;
  priority: number;
} {
  return { vhost: p.vhost, name: p.name, pattern: p.pattern, 'apply-to': p.applyTo, definition: { ...p.definition }, priority: p.priority };
}

/**
 * Compiles a policy pattern, written for RabbitMQ's PCRE, as a JavaScript RegExp with the same meaning for
 * the usual constructs: leading option settings such as (?i), \A \z \Z, \Q…\E quoting, (?P<name>…)
 * groups, a ']' first in a class, and '$' matching before a final newline. Throws SyntaxError when the
 * pattern is invalid (or uses PCRE features JavaScript lacks, such as possessive quantifiers).
 */
export function compilePolicyPattern(pattern: string): RegExp {
  let flags = '';
  let i = 0;
  const opts = /^\(\?([ims]+)\)/.exec(pattern);
  if (opts) {
    flags = [...new Set(opts[1])].join('');
    i = opts[0].length;
  }
  const multiline = flags.includes('m');
  let out = '';
  let inClass = false;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) throw new SyntaxError('\\ at end of pattern');
      if (n === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const lit = pattern.slice(i + 2, end < 0 ? undefined : end);
        out += lit.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? pattern.length : end + 2;
        continue;
      }
      if (n === 'E') {
        i += 2; // a stray \E is ignored by PCRE
        continue;
      }
      if (!inClass && n === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && n === 'z') out += '(?![\\s\\S])';
      else if (!inClass && n === 'Z') out += '(?=\\n?(?![\\s\\S]))';
      else out += c + n;
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i++;
      if (pattern[i] === '^') {
        out += '^';
        i++;
      }
      if (pattern[i] === ']') {
        out += '\\]'; // PCRE: a ']' first in a class is a literal
        i++;
      }
      continue;
    }
    if (c === '$' && !multiline) {
      out += '(?=\\n?(?![\\s\\S]))';
      i++;
      continue;
    }
    if (c === '(' && pattern.startsWith('(?P<', i)) {
      out += '(?<';
      i += 4;
      continue;
    }
    if (c === '(' && pattern.startsWith('(?P=', i)) {
      const close = pattern.indexOf(')', i);
      if (close < 0) throw new SyntaxError('missing )');
      out += `\\k<${pattern.slice(i + 4, close)}>`;
      i = close + 1;
      continue;
    }
    out += c;
    i++;
  }
  return new RegExp(out, flags);
}

/** A JSON value as Erlang's ~p prints the decoded term, as RabbitMQ quotes it in its complaints. */
export function erlangTerm(v: unknown): string {
  if (v === null || v === undefined) return v === null ? 'null' : 'undefined';
  if (typeof v === 'string') return `<<"${v.replace(/[\\"]/g, '\\$&')}">>`;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) < 1e21) return String(v);
    const s = String(v);
    const [mant, exp] = s.split('e');
    if (exp === undefined) return s;
    return `${mant.includes('.') ? mant : `${mant}.0`}e${exp.replace('+', '')}`;
  }
  if (Array.isArray(v)) return `[${v.map(erlangTerm).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as { [key: string]: unknown };
    return `#{${Object.keys(o)
      .sort()
      .map((k) => `${erlangTerm(k)} => ${erlangTerm(o[k])}`)
      .join(',')}}`;
  }
  return String(v);
}
