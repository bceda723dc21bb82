/**
 * The stations' front end, bundled by esbuild in memory when the service first serves it (a fraction of a
 * second): one minified script and one stylesheet. Nothing to build by hand and nothing fetched at run time.
 */
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export interface WebBundle {
  js: Uint8Array;
  css: Uint8Array;
  /** Gzipped size of the script, the figure the 300 KB budget is about. */
  jsGzipBytes: number;
}

let bundle: Promise<WebBundle> | undefined;

export function webBundle(): Promise<WebBundle> {
  bundle ??= build({
    entryPoints: [fileURLToPath(new URL('./app/main.tsx', import.meta.url))],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    write: false,
    outdir: 'assets',
    logLevel: 'silent',
  }).then((r) => {
    const of = (ext: string) => r.outputFiles.find((f) => f.path.endsWith(ext))?.contents ?? new Uint8Array();
    const js = of('.js');
    return { js, css: of('.css'), jsGzipBytes: gzipSync(js).length };
  });
  return bundle;
}
