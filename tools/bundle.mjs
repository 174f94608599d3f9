// Bundles the compiled `warren` command (dist/cli/main.js and everything it imports) into one file,
// dist/warren.mjs. Node loads one module much faster than fifty: this is most of what separates a
// cold start from the first accepted connection. The embedding API (dist/index.js) stays unbundled.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/warren.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // The HTTP framework of the management listener is loaded from node_modules when that listener
  // starts, after the AMQP port is open, instead of being parsed with everything at start-up.
  external: ['fastify', '@fastify/static'],
});
