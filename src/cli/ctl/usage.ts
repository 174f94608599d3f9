// Help texts: the general one and one per command.
import { DEFAULT_TIMEOUT_SECONDS, DEFAULT_URL } from './args.js';
import { knownColumns } from './columns.js';
import type { Command } from './command.js';
import { COMMANDS } from './commands.js';

const OPTIONS_HELP = `Options (anywhere on the line):
  --url URL              root of the management API (WARREN_MGMT_URL, default ${DEFAULT_URL});
                         may carry credentials: http://user:password@host:15672
  --user USER            (WARREN_MGMT_USER, default guest)
  --password PASSWORD    (WARREN_MGMT_PASSWORD, default guest)
  -p, --vhost VHOST      the vhost of commands scoped to one (default /)
  --format table|json    json: an array of objects keyed by column, for scripts (default table)
  -q, --quiet            no informational lines on stderr
  -s, --silent           --quiet, and tables without their header row
  --no-table-headers     tables without their header row
  -t, --timeout SECONDS  give up on an API request after this long (default ${DEFAULT_TIMEOUT_SECONDS})
  -h, --help             this help; "warren ctl help COMMAND" for one command

Exit codes: 0 done, 64 usage, 65 refused as invalid or already exists, 66 input file unreadable,
  67 not found, 69 management API unreachable, 70 unexpected answer, 73 output file unwritable,
  75 timed out, 77 wrong credentials or not allowed
`;

export function generalUsage(): string {
  const commands = COMMANDS.map((c) => `  ${`${c.name} ${c.synopsis}`.trimEnd()}\n${wrap(c.summary, '      ')}`).join('');
  return `Usage: warren ctl [options] COMMAND [arguments]

Manages a running Warren (or RabbitMQ) broker through its management HTTP API.

Commands:
${commands}
${OPTIONS_HELP}`;
}

export function commandUsage(command: Command): string {
  let text = `Usage: warren ctl ${command.name} ${command.synopsis}`.trimEnd() + `\n\n${command.summary}\n`;
  if (command.columns) {
    text += `\nDefault columns: ${command.columns.defaults.join(' ')}\n`;
    text += `Columns (any others the broker returns work too, and dotted paths into nested fields,\ne.g. message_stats.publish):\n`;
    text += wrap(knownColumns(command.columns).join(' '), '  ');
  }
  return text;
}

/** Words filled into lines of at most 100 characters, each starting with `prefix`. */
function wrap(text: string, prefix: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && prefix.length + line.length + 1 + word.length > 100) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.map((l) => `${prefix}${l}\n`).join('');
}
