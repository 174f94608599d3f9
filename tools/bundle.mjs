// Bundles the compiled `warren` command (dist/cli/main.js and everything it imports) into
// dist/warren.mjs (and dist/chunks/ for what it loads later). Node loads one module much faster than
// fifty: this is most of what separates a cold start from the first accepted connection. The
// embedding API (dist/index.js) stays unbundled.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';
import { bundleOptions } from './bundle-config.mjs';

rmSync('dist/chunks', { recursive: true, force: true });
await build(bundleOptions('dist/cli/main.js', 'dist'));
