// Compiles bench/broker-process.ts and everything it imports (Warren's src/, the null broker) to
// JavaScript, so the broker under test runs on plain Node. Under tsx every process carries tsx's
// module-loader thread, about 35 MB of RSS that would be charged to Warren but is not Warren's.
// Output goes under node_modules/.cache, where bare imports still resolve to the repo's node_modules.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = dirname(BENCH_DIR);
// Per bench process, so two runs at once do not overwrite each other's output.
const OUT_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'warren-bench', String(process.pid));

/**
 * Returns the path of the compiled broker-process.js; the output is removed when this process exits.
 * Type errors do not stop it: they are the tests' business.
 */
export function compileBrokerProcess(): string {
  process.once('exit', () => rmSync(OUT_DIR, { recursive: true, force: true }));
  const program = ts.createProgram([join(BENCH_DIR, 'broker-process.ts')], {
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
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, 'package.json'), '{ "type": "module" }\n');
  return join(OUT_DIR, 'bench', 'broker-process.js');
}
