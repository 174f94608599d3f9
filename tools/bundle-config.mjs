// How the `warren` command is bundled, shared by tools/bundle.mjs (npm run build) and the bench:
// `<outdir>/warren.mjs` with what serving AMQP needs, and `<outdir>/chunks/` with what is loaded
// later (the management listener and its HTTP framework, fastify, bundled too: one file to parse
// instead of a hundred to resolve and read, which would hold up the first AMQP connections).
export function bundleOptions(entry, outdir) {
  return {
    entryPoints: { warren: entry },
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    // Bundled CommonJS (fastify) calls require() for Node's own modules.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  };
}
