// Every `warren ctl` command, in the order the help lists them.
import type { Command } from './command.js';
import { DEFINITION_COMMANDS } from './definition-commands.js';
import { LIST_COMMANDS } from './list-commands.js';
import { PERMISSION_COMMANDS } from './permission-commands.js';
import { POLICY_COMMANDS } from './policy-commands.js';
import { QUEUE_COMMANDS } from './queue-commands.js';
import { STATUS_COMMAND } from './status-command.js';
import { USER_COMMANDS } from './user-commands.js';
import { VHOST_COMMANDS } from './vhost-commands.js';

export const COMMANDS: readonly Command[] = [
  ...LIST_COMMANDS,
  ...QUEUE_COMMANDS,
  ...USER_COMMANDS,
  ...VHOST_COMMANDS,
  ...PERMISSION_COMMANDS,
  ...POLICY_COMMANDS,
  ...DEFINITION_COMMANDS,
  STATUS_COMMAND,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}
