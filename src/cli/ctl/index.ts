// `warren ctl`: a rabbitmqctl-like command that manages a running broker through the
// RabbitMQ-compatible management HTTP API. runCtl returns the exit code instead of exiting, so
// it can run inside another program or a test.
import { readFile } from 'node:fs/promises';
import { COMMAND_OPTIONS, type CommandOption, type ParsedArgs, parseCtlArgs } from './args.js';
import type { Command } from './command.js';
import { findCommand } from './commands.js';
import { CtlError, EXIT, UsageError } from './errors.js';
import { ApiError, ManagementClient } from './http-client.js';
import { Output, type Writer } from './output.js';
import { commandUsage, generalUsage } from './usage.js';

export { EXIT } from './errors.js';

export interface CtlIO {
  stdout: Writer;
  stderr: Writer;
  /** Where WARREN_MGMT_* are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** What "import_definitions -" reads (default process.stdin). */
  stdin?: AsyncIterable<string | Buffer>;
}

export async function runCtl(argv: string[], io: CtlIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    const parsed = parseCtlArgs(argv, io.env ?? process.env);
    const help = helpText(parsed);
    if (help !== undefined) {
      io.stdout.write(help);
      return EXIT.OK;
    }
    const command = checkedCommand(parsed);
    await command.run({
      client: new ManagementClient(parsed.connection),
      args: parsed.args,
      vhost: parsed.vhost,
      options: parsed,
      out: new Output(io.stdout, io.stderr, parsed.output),
      readInput: (file) => (file === '-' ? readAll(io.stdin ?? process.stdin) : readFile(file, 'utf8')),
    });
    return EXIT.OK;
  } catch (err) {
    return report(err, io.stderr);
  }
}

/** The help asked for, if any: --help, "help", "help COMMAND", "COMMAND --help". */
function helpText(parsed: ParsedArgs): string | undefined {
  if (parsed.command === 'help') {
    const name = parsed.args[0];
    if (name === undefined) return generalUsage();
    const command = findCommand(name);
    if (!command) throw new UsageError(`unknown command '${name}'`);
    return commandUsage(command);
  }
  if (!parsed.help) return undefined;
  const command = parsed.command === undefined ? undefined : findCommand(parsed.command);
  return command ? commandUsage(command) : generalUsage();
}

function checkedCommand(parsed: ParsedArgs): Command {
  if (parsed.command === undefined) throw new UsageError('no command given');
  const command = findCommand(parsed.command);
  if (!command) throw new UsageError(`unknown command '${parsed.command}'`);
  const refused = COMMAND_OPTIONS.filter((option) => parsed.given.has(option) && !command.options.includes(option));
  if (refused.length > 0) throw new UsageError(`${command.name} does not take ${refused.map(optionText).join(', ')}`, command.name);
  const [min, max] = command.arity;
  const count = parsed.args.length;
  if (count < min || count > max) {
    const expected =
      min === max ? `${min} argument${min === 1 ? '' : 's'}` : max === Infinity ? `at least ${min} argument${min === 1 ? '' : 's'}` : `${min} to ${max} arguments`;
    throw new UsageError(`${command.name} takes ${expected}, got ${count}`, command.name);
  }
  return command;
}

const optionText = (option: CommandOption): string => (option === 'vhost' ? '-p/--vhost' : `--${option}`);

function report(err: unknown, stderr: Writer): number {
  if (err instanceof UsageError) {
    const command = err.command === undefined ? undefined : findCommand(err.command);
    stderr.write(`Error: ${err.message}\n\n${command ? commandUsage(command) : generalUsage()}`);
    return err.exitCode;
  }
  if (err instanceof CtlError) {
    stderr.write(`Error: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof ApiError) {
    // What a command did not explain itself.
    if (err.status === 404) {
      stderr.write(`Error: not found: ${err.method} ${err.path}\n`);
      return EXIT.NOT_FOUND;
    }
    if (err.status === 400) {
      stderr.write(`Error: the broker refused the request: ${err.reason}\n`);
      return EXIT.DATA;
    }
    stderr.write(`Error: unexpected answer to ${err.method} ${err.path}: ${err.status} ${err.reason}\n`);
    return EXIT.SOFTWARE;
  }
  stderr.write(`Error: ${(err as Error)?.stack ?? String(err)}\n`);
  return EXIT.SOFTWARE;
}

async function readAll(stream: AsyncIterable<string | Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
