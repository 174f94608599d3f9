// export_definitions and import_definitions: RabbitMQ's definitions JSON (users, vhosts,
// permissions, policies, queues, exchanges, bindings...) through GET/POST /api/definitions.
import { writeFile } from 'node:fs/promises';
import type { Command } from './command.js';
import { CtlError, EXIT } from './errors.js';

export const DEFINITION_COMMANDS: readonly Command[] = [
  {
    name: 'export_definitions',
    synopsis: 'FILE',
    summary: 'write the definitions of the whole broker to FILE as JSON ("-": standard output)',
    arity: [1, 1],
    options: [],
    async run({ client, args: [file], out }) {
      out.info(`Exporting definitions to ${file === '-' ? 'standard output' : file} ...`);
      const definitions = await client.get('/api/definitions');
      if (file === '-') {
        out.data(definitions);
        return;
      }
      try {
        await writeFile(file!, `${JSON.stringify(definitions, null, 2)}\n`);
      } catch (err) {
        throw new CtlError(`cannot write ${file}: ${(err as Error).message}`, EXIT.CANT_CREATE);
      }
    },
  },
  {
    name: 'import_definitions',
    synopsis: 'FILE',
    summary: 'create or update what a definitions file ("-": standard input) describes; nothing is deleted',
    arity: [1, 1],
    options: [],
    async run({ client, args: [file], out, readInput }) {
      const source = file === '-' ? 'standard input' : file!;
      out.info(`Importing definitions from ${source} ...`);
      let text: string;
      try {
        text = await readInput(file!);
      } catch (err) {
        throw new CtlError(`cannot read ${source}: ${(err as Error).message}`, EXIT.NO_INPUT);
      }
      let definitions: unknown;
      try {
        definitions = JSON.parse(text);
      } catch (err) {
        throw new CtlError(`${source} is not valid JSON: ${(err as Error).message}`, EXIT.DATA);
      }
      if (!definitions || typeof definitions !== 'object' || Array.isArray(definitions)) {
        throw new CtlError(`${source} is not a definitions file: expected a JSON object`, EXIT.DATA);
      }
      await client.post('/api/definitions', definitions);
    },
  },
];
