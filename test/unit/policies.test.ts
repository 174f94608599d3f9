// Policy validation as RabbitMQ 3.10 answers PUT /api/policies/{vhost}/{name} (texts recorded from the
// reference broker), the PCRE-flavoured patterns, and which policy applies to an object.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compilePolicyPattern, parsePolicy, PolicyError, PolicySet, policyToJson, type Policy } from '../../src/broker/policies.js';

/** The validation message for a refused policy body. */
function refusal(input: unknown): string {
  try {
    parsePolicy('/', 'p1', input);
  } catch (err) {
    assert.ok(err instanceof PolicyError, `expected a PolicyError, got ${err}`);
    return err.message;
  }
  assert.fail(`accepted ${JSON.stringify(input)}`);
}

/** RabbitMQ's answer: "Validation failed", a blank line, one problem a line. */
function rabbit(...lines: string[]): string {
  return `Validation failed\n\n${lines.join('\n')}\n`;
}

const body = (definition: unknown, extra: object = {}) => ({ pattern: '^a', definition, ...extra });

describe('parsePolicy', () => {
  test('a full policy is accepted, with defaults for apply-to and priority', () => {
    const p = parsePolicy('/', 'ttl', { pattern: '^orders\\.', definition: { 'message-ttl': 60000, 'dead-letter-exchange': 'dlx' } });
    assert.deepEqual(p, {
      vhost: '/',
      name: 'ttl',
      pattern: '^orders\\.',
      applyTo: 'all',
      priority: 0,
      definition: { 'dead-letter-exchange': 'dlx', 'message-ttl': 60000 },
    });
    const q = parsePolicy('v', 'n', { pattern: '', definition: { 'queue-mode': 'lazy' }, priority: -3, 'apply-to': 'queues' });
    assert.equal(q.applyTo, 'queues');
    assert.equal(q.priority, -3);
  });

  test('every supported key with a boundary value is accepted', () => {
    const definition = {
      'alternate-exchange': '',
      'dead-letter-exchange': '',
      'dead-letter-routing-key': 'k',
      'delivery-limit': 0,
      expires: 1,
      'max-length': 0,
      'max-length-bytes': 0,
      'message-ttl': 0,
      overflow: 'reject-publish-dlx',
      'queue-mode': 'default',
    };
    assert.deepEqual(parsePolicy('/', 'all', body(definition)).definition, definition);
    for (const overflow of ['drop-head', 'reject-publish']) parsePolicy('/', 'o', body({ overflow }));
    // RabbitMQ puts no upper bound on a policy's TTL, and its HTTP API takes a fractional priority.
    parsePolicy('/', 'big', body({ 'message-ttl': 4294967296 }));
    assert.equal(parsePolicy('/', 'f', body({ expires: 5 }, { priority: 1.5 })).priority, 1.5);
  });

  test('other keys of the body (an exported policy) are ignored', () => {
    const p = parsePolicy('/', 'x', { vhost: '/', name: 'x', pattern: 'q', 'apply-to': 'exchanges', definition: { 'alternate-exchange': 'ae' }, priority: 2, extra: 1 });
    assert.equal(p.applyTo, 'exchanges');
    assert.equal(p.priority, 2);
  });

  test('unknown keys are named, in RabbitMQ words, with the keys Warren supports', () => {
    assert.match(refusal(body({ foo: 'bar' })), /^Validation failed\n\n\[\{<<"foo">>,<<"bar">>\}\] are not recognised policy settings/);
    // Sorted, every one listed, values as Erlang prints them.
    assert.match(refusal(body({ foo: 'bar', baz: 1 })), /\[\{<<"baz">>,1\},\{<<"foo">>,<<"bar">>\}\] are not recognised policy settings/);
    assert.match(refusal(body({ foo: { b: [1, 'x', true, null, 2.5], a: 1 } })), /\[\{<<"foo">>,#\{<<"a">> => 1,<<"b">> => \[1,<<"x">>,true,null,2\.5\]\}\}\]/);
    assert.match(refusal(body({ 'federation-upstream-set': 'all' })), /<<"federation-upstream-set">>.*\(Warren supports alternate-exchange, dead-letter-exchange, .*queue-mode\)/);
  });

  test('classic mirroring keys are accepted and change nothing, as on a single RabbitMQ 3.10 node', () => {
    const p = parsePolicy('/', 'ha', body({ 'ha-mode': 'all', 'ha-sync-mode': 'automatic', 'max-length': 5 }));
    assert.equal(p.definition['max-length'], 5);
  });

  test('bad values get RabbitMQ texts', () => {
    const cases: [object, string][] = [
      [{ 'message-ttl': -1 }, '-1 is not a valid message TTL'],
      [{ 'message-ttl': 'x' }, '<<"x">> is not a valid message TTL'],
      [{ 'message-ttl': 1.5 }, '1.5 is not a valid message TTL'],
      [{ 'message-ttl': 0.1 }, '0.1 is not a valid message TTL'],
      [{ 'message-ttl': 1e21 }, '1.0e21 is not a valid message TTL'],
      [{ 'message-ttl': null }, 'null is not a valid message TTL'],
      [{ expires: 0 }, '0 is not a valid queue expiry'],
      [{ expires: -1 }, '-1 is not a valid queue expiry'],
      [{ 'max-length': -1 }, '-1 is not a valid maximum length'],
      [{ 'max-length': true }, 'true is not a valid maximum length'],
      [{ 'max-length-bytes': -1 }, '-1 is not a valid maximum length in bytes'],
      [{ overflow: 'x' }, '<<"x">> is not a valid overflow value'],
      [{ 'delivery-limit': -1 }, '-1 is not a valid delivery limit'],
      [{ 'delivery-limit': 'x' }, '<<"x">> is not a valid delivery limit'],
      [{ 'queue-mode': 'x' }, '<<"x">> is not a valid queue-mode value'],
      [{ 'alternate-exchange': 1 }, '1 is not a valid alternate exchange name'],
      [{ 'dead-letter-exchange': 1 }, '1 is not a valid dead letter exchange name'],
      [{ 'dead-letter-routing-key': 1 }, '1 is not a valid dead letter routing key'],
    ];
    for (const [definition, text] of cases) assert.equal(refusal(body(definition)), rabbit(text), JSON.stringify(definition));
  });

  test('the first bad value in key order is reported, before any unknown key', () => {
    assert.equal(refusal(body({ 'message-ttl': 'x', expires: 0 })), rabbit('0 is not a valid queue expiry'));
    assert.equal(refusal(body({ foo: 1, expires: 0 })), rabbit('0 is not a valid queue expiry'));
  });

  test('an empty or non-object definition is refused', () => {
    assert.equal(refusal(body({})), rabbit('no policy provided'));
    assert.equal(refusal(body('x')), rabbit('definition must be a dictionary: <<"x">>'));
    assert.equal(refusal(body([1])), rabbit('definition must be a dictionary: [1]'));
    assert.match(refusal({ pattern: '^a' }), /definition is missing/);
  });

  test('pattern, apply-to and priority are checked, all problems reported at once in RabbitMQ order', () => {
    assert.equal(refusal(body({ expires: 1 }, { 'apply-to': 'foo' })), rabbit("apply-to 'foo' unrecognised; should be 'queues', 'exchanges' or 'all'"));
    assert.equal(refusal(body({ expires: 1 }, { priority: 'x' })), rabbit('priority should be a number, actually was <<"x">>'));
    assert.equal(refusal(body({ expires: 1 }, { priority: '5' })), rabbit('priority should be a number, actually was <<"5">>'));
    assert.equal(refusal(body({ expires: 1 }, { priority: null })), rabbit('priority should be a number, actually was null'));
    assert.equal(refusal(body({ expires: 1 }, { pattern: 1 })), rabbit('pattern should be a binary but was 1'));
    assert.match(refusal({ definition: { expires: 1 } }), /pattern is missing/);
    assert.match(refusal(body({ expires: 1 }, { pattern: '(' })), /^Validation failed\n\npattern should be regular expression but is invalid: .+\n$/);
    const all = refusal({ pattern: '(', definition: { expires: 0, foo: 1 }, 'apply-to': 'x', priority: 'y' });
    const lines = all.split('\n');
    assert.equal(lines[0], 'Validation failed');
    assert.equal(lines[2], '0 is not a valid queue expiry');
    assert.equal(lines[3], "apply-to 'x' unrecognised; should be 'queues', 'exchanges' or 'all'");
    assert.match(lines[4], /^pattern should be regular expression but is invalid: /);
    assert.equal(lines[5], 'priority should be a number, actually was <<"y">>');
  });

  test('a body that is not an object is refused', () => {
    assert.throws(() => parsePolicy('/', 'p', 'x'), (e: unknown) => e instanceof PolicyError && /policy 'p' in vhost '\/' must be a JSON object/.test(e.message));
  });

  test('policyToJson gives RabbitMQ\'s shape', () => {
    const p = parsePolicy('/', 'lim', { pattern: '^q$', definition: { overflow: 'reject-publish', 'max-length': 5 }, priority: 3, 'apply-to': 'queues' });
    assert.deepEqual(policyToJson(p), {
      vhost: '/',
      name: 'lim',
      pattern: '^q$',
      'apply-to': 'queues',
      definition: { 'max-length': 5, overflow: 'reject-publish' },
      priority: 3,
    });
    assert.deepEqual(parsePolicy('/', 'lim', policyToJson(p)), p);
  });
});

describe('policy patterns (PCRE as RabbitMQ uses it)', () => {
  const matches = (pattern: string, name: string) => compilePolicyPattern(pattern).test(name);

  test('ordinary patterns match as in JavaScript', () => {
    assert.ok(matches('^amq\\.', 'amq.gen-1'));
    assert.ok(matches('', 'anything'));
    assert.ok(!matches('^a$', 'ba'));
    assert.ok(matches('(?<n>a)\\k<n>', 'aa'));
  });

  test('PCRE-only constructs are translated', () => {
    assert.ok(matches('(?i)^ORDERS', 'orders.eu'));
    assert.ok(matches('\\Aq\\z', 'q'));
    assert.ok(!matches('\\Aq\\z', 'q\n'));
    assert.ok(matches('q\\Z', 'q\n'));
    assert.ok(matches('^q$', 'q\n'), "PCRE's $ matches before a final newline");
    assert.ok(matches('\\Qa.b\\E$', 'xa.b'));
    assert.ok(!matches('\\Qa.b\\E$', 'axb'));
    assert.ok(matches('[]a]', ']'));
    assert.ok(matches('[^]a]', 'b'));
    assert.ok(!matches('[^]a]', ']'));
    assert.ok(matches('(?P<x>a)(?P=x)', 'aa'));
    assert.ok(matches('[$]', '$'), 'a $ in a class is literal');
  });

  test('invalid patterns throw', () => {
    for (const p of ['(', 'a)', '[a', 'a{2,1}', '\\', '*a']) assert.throws(() => compilePolicyPattern(p), SyntaxError, p);
  });
});

describe('PolicySet.match', () => {
  const policy = (name: string, pattern: string, priority: number, applyTo: Policy['applyTo'] = 'all'): Policy => ({
    vhost: '/',
    name,
    pattern,
    priority,
    applyTo,
    definition: { 'message-ttl': 1 },
  });

  test('the matching policy of highest priority applies', () => {
    const set = new PolicySet();
    set.set(policy('low', '^orders', 1));
    set.set(policy('high', '^orders\\.eu', 5));
    set.set(policy('other', '^billing', 10));
    assert.equal(set.match('queue', 'orders.eu.1')?.name, 'high');
    assert.equal(set.match('queue', 'orders.us.1')?.name, 'low');
    assert.equal(set.match('queue', 'billing')?.name, 'other');
    assert.equal(set.match('queue', 'shipping'), undefined);
    set.set(policy('low', '^orders', 7)); // replaced by name
    assert.equal(set.size, 3);
    assert.equal(set.match('queue', 'orders.eu.1')?.name, 'low');
    assert.ok(set.delete('low'));
    assert.equal(set.match('queue', 'orders.eu.1')?.name, 'high');
  });

  test('apply-to limits a policy to queues or exchanges', () => {
    const set = new PolicySet();
    set.set(policy('q', '^x', 1, 'queues'));
    set.set(policy('e', '^x', 0, 'exchanges'));
    assert.equal(set.match('queue', 'x1')?.name, 'q');
    assert.equal(set.match('exchange', 'x1')?.name, 'e');
    set.set(policy('both', '^x', 0, 'all'));
    assert.equal(set.match('exchange', 'x1')?.name, 'e', 'equal priority: the name sorting last wins');
    set.set(policy('both', '^x', 2, 'all'));
    assert.equal(set.match('exchange', 'x1')?.name, 'both');
    assert.equal(set.match('queue', 'x1')?.name, 'both');
  });

  test('patterns use the PCRE translation', () => {
    const set = new PolicySet();
    set.set(policy('ci', '(?i)^ORDERS$', 0));
    assert.equal(set.match('queue', 'orders')?.name, 'ci');
  });
});
