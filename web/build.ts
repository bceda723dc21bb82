/**
 * The stations' front end: one minified script and one stylesheet. The production build (scripts/build.ts)
 * writes them beside this module's build as assets/; a checkout bundles them with esbuild in memory when the
 * service first serves them (a fraction of a second). Nothing is fetched at run time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export interface WebBundle {
  js: Uint8Array;
  css: Uint8Array;
  /** Gzipped size of the script, the figure the 300 KB budget is about. */
  jsGzipBytes: number;
}

const ASSETS = new URL('./assets/', import.meta.url);

let bundle: Promise<WebBundle> | undefined;

export function webBundle(): Promise<WebBundle> {
  bundle ??= (existsSync(ASSETS) ? prebuilt() : bundleSources()).then(({ js, css }) => ({
    js,
    css,
    jsGzipBytes: gzipSync(js).length,
  }));
  return bundle;
}

async function prebuilt(): Promise<{ js: Uint8Array; css: Uint8Array }> {
  return {
    js: new Uint8Array(readFileSync(new URL('app.js', ASSETS))),
    css: new Uint8Array(readFileSync(new URL('app.css', ASSETS))),
  };
}

/** Bundles web/app/ from its sources (esbuild is loaded only here: the build does not need it at run time). */
export async function bundleSources(): Promise<{ js: Uint8Array; css: Uint8Array }> {
  const { build } = await import('esbuild');
  const r = await build({
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
  });
  const of = (ext: string) => r.outputFiles.find((f) => f.path.endsWith(ext))?.contents ?? new Uint8Array();
  return { js: of('.js'), css: of('.css') };
}
