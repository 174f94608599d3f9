import type { BuildOptions } from 'esbuild';
export function bundleOptions(entry: string, outdir: string): BuildOptions;
