/**
 * The production build, `npm run build`: the TypeScript the CLI, the service and the worker threads run,
 * compiled to plain JavaScript in dist/ with the source tree's layout, so every module finds the data it
 * reads relative to itself (form definitions, rules, the character model, migrations, the sample corpus),
 * copied beside it. The web stations are bundled once here. npm packages stay in node_modules.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { bundleSources } from '../web/build.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'dist');
/** The process's entry and the modules started by URL rather than imported: worker threads. */
const ENTRIES = ['cli/rcoi.ts', 'workers/recognise-thread.ts'];
/** Read at run time relative to the module that reads them. */
const DATA = [
  'forms/definitions',
  'calibration/answers',
  'calibration/checking',
  'calibration/retention',
  'forms/model.bin',
  'platform/migrations',
  'samples/corpus',
  'workers/thread-entry.js',
];

/** Every source module the entries reach, static or dynamic imports alike (esbuild's own resolution). */
async function reachableSources(): Promise<string[]> {
  const r = await build({
    entryPoints: ENTRIES.map((e) => join(ROOT, e)),
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    write: false,
    metafile: true,
    outdir: OUT,
    logLevel: 'silent',
  });
  return Object.keys(r.metafile.inputs).filter((p) => /\.tsx?$/.test(p) && !p.includes('node_modules'));
}

/** Keeps each module its own file: a relative import stays an import, of the .js it compiles to. */
const relativeImportsStay: Plugin = {
  name: 'relative-imports-stay',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\/.*\.ts$/ }, (args) =>
      args.kind === 'entry-point' ? undefined : { path: args.path.replace(/\.ts$/, '.js'), external: true },
    );
  },
};

const started = performance.now();
rmSync(OUT, { recursive: true, force: true });
const sources = await reachableSources();
await build({
  entryPoints: sources.map((s) => join(ROOT, s)),
  outbase: ROOT,
  outdir: OUT,
  bundle: true,
  packages: 'external',
  plugins: [relativeImportsStay],
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
});
for (const path of DATA) {
  const to = join(OUT, path);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(join(ROOT, path), to, { recursive: true, filter: (src) => !src.endsWith('.md') });
}
const web = await bundleSources();
mkdirSync(join(OUT, 'web', 'assets'), { recursive: true });
writeFileSync(join(OUT, 'web', 'assets', 'app.js'), web.js);
writeFileSync(join(OUT, 'web', 'assets', 'app.css'), web.css);
console.log(
  `built ${sources.length} modules and their data into ${relative(process.cwd(), OUT) || '.'} ` +
    `in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
