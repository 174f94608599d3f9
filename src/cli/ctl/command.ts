// What a `warren ctl` command is, and what it is given to run.
import type { CommandOption, ParsedArgs } from './args.js';
import type { ColumnSet } from './columns.js';
import type { ManagementClient } from './http-client.js';
import type { Output } from './output.js';

export interface CommandContext {
  client: ManagementClient;
  /** Positional arguments after the command name. */
  args: readonly string[];
  /** -p VHOST, "/" by default. */
  vhost: string;
  /** Every parsed option, for the few commands with options of their own. */
  options: ParsedArgs;
  out: Output;
  /** The text of a file, or of standard input for "-". */
  readInput(file: string): Promise<string>;
}

export interface Command {
  name: string;
  /** What follows the name in the usage line, e.g. "[-p VHOST] NAME". */
  synopsis: string;
  summary: string;
  /** How many positional arguments it takes. */
  arity: readonly [min: number, max: number];
  /** Command-specific options it accepts (-p is 'vhost'). */
  options: readonly CommandOption[];
  /** For list commands: the columns it can show, for the help text. */
  columns?: ColumnSet;
  run(ctx: CommandContext): Promise<void>;
}
