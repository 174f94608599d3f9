// set_policy and clear_policy.
import type { Command } from './command.js';
import { UsageError } from './errors.js';
import { segment } from './http-client.js';
import { explainNotFound, missingInVhost } from './lookups.js';

const policyPath = (vhost: string, name: string): string => `/api/policies/${segment(vhost)}/${segment(name)}`;

function parseDefinition(text: string): Record<string, unknown> {
  let definition: unknown;
  try {
    definition = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`the policy definition is not valid JSON (${(err as Error).message}): ${text}`, 'set_policy');
  }
  if (!definition || typeof definition !== 'object' || Array.isArray(definition)) {
    throw new UsageError(`the policy definition must be a JSON object, e.g. '{"max-length":1000}', not ${text}`, 'set_policy');
  }
  return definition as Record<string, unknown>;
}

function parsePriority(text: string | undefined): number {
  if (text === undefined) return 0;
  const priority = Number(text);
  if (!Number.isInteger(priority)) throw new UsageError(`invalid priority '${text}': expected an integer`, 'set_policy');
  return priority;
}

export const POLICY_COMMANDS: readonly Command[] = [
  {
    name: 'set_policy',
    synopsis: '[-p VHOST] [--priority N] [--apply-to queues|exchanges|all] NAME PATTERN DEFINITION',
    summary: 'create or replace a policy: DEFINITION (JSON) applies to the objects whose names match PATTERN',
    arity: [3, 3],
    options: ['vhost', 'priority', 'apply-to'],
    async run({ client, args: [name, pattern, definitionText], vhost, options, out }) {
      const definition = parseDefinition(definitionText!);
      // A number: RabbitMQ refuses the string "3" ("priority should be a number").
      const priority = parsePriority(options.priority);
      const applyTo = options.applyTo ?? 'all';
      out.info(`Setting policy '${name}' for pattern '${pattern}' to ${JSON.stringify(definition)} with priority ${priority}, applying to ${applyTo}, in vhost '${vhost}' ...`);
      // An invalid apply-to, pattern or definition is left to the broker (400): newer versions
      // accept more apply-to values than 3.10's queues, exchanges and all.
      await explainNotFound(
        client.put(policyPath(vhost, name!), { pattern, definition, priority, 'apply-to': applyTo }),
        () => missingInVhost(client, vhost, `vhost '${vhost}' not found`),
      );
    },
  },
  {
    name: 'clear_policy',
    synopsis: '[-p VHOST] NAME',
    summary: 'delete a policy',
    arity: [1, 1],
    options: ['vhost'],
    async run({ client, args: [name], vhost, out }) {
      out.info(`Clearing policy '${name}' in vhost '${vhost}' ...`);
      await explainNotFound(client.delete(policyPath(vhost, name!)), () =>
        missingInVhost(client, vhost, `policy '${name}' in vhost '${vhost}' not found`),
      );
    },
  },
];
