// Compiles bench/broker-process.ts and everything it imports (Warren's src/, the null broker), and
// Warren's command line (src/cli/main.ts, bundled as `npm run build` bundles it into dist/warren.mjs), to
// JavaScript, so the broker under test runs on plain Node. Under tsx every process carries tsx's
// module-loader thread, about 35 MB of RSS that would be charged to Warren but is not Warren's.
// Compiled from the current src/ at every bench run, so a stale dist/ is never measured (and dist/,
// which others build, is left alone).
// Output goes under node_modules/.cache, where bare imports still resolve to the repo's node_modules.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { bundleOptions } from '../tools/bundle-config.mjs';
import ts from 'typescript';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = dirname(BENCH_DIR);
// Per bench process, so two runs at once do not overwrite each other's output.
const OUT_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'warren-bench', String(process.pid));

export interface CompiledBroker {
  /** bench/broker-process.js */
  brokerProcess: string;
  /** the `warren` command bundled into one file, as `npm run build` makes dist/warren.mjs (what `npm start` runs) */
  cli: string;
}

/**
 * Returns the paths of the compiled entry points; the output is removed when this process exits.
 * Type errors do not stop it: they are the tests' business.
 */
export function compileBroker(): CompiledBroker {
  process.once('exit', () => rmSync(OUT_DIR, { recursive: true, force: true }));
  const program = ts.createProgram([join(BENCH_DIR, 'broker-process.ts'), join(REPO_ROOT, 'src', 'cli', 'main.ts')], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node'],
    rootDir: REPO_ROOT,
    outDir: OUT_DIR,
  });
  const result = program.emit();
  if (result.emitSkipped) {
    const messages = result.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    throw new Error(`could not compile the broker: ${messages.join('; ')}`);
  }
  // Module type is looked up in the nearest package.json, and Node's lookup stops at node_modules.
  // Warren reads its version from ../package.json relative to src/index.js, as it does from dist/.
  mkdirSync(OUT_DIR, { recursive: true });
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  writeFileSync(join(OUT_DIR, 'package.json'), `${JSON.stringify({ type: 'module', version })}\n`);
  // The same bundling as tools/bundle.mjs, placed beside the compiled src/ so ../package.json resolves.
  const cli = join(OUT_DIR, 'src', 'warren.mjs');
  buildSync(bundleOptions(join(OUT_DIR, 'src', 'cli', 'main.js'), join(OUT_DIR, 'src')));
  return { brokerProcess: join(OUT_DIR, 'bench', 'broker-process.js'), cli };
}
