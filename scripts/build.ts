/**
 * The production build, `npm run build`: the CLI, the service and the recognition thread bundled into plain
 * JavaScript in dist/ (dist/cli/rcoi.js, dist/workers/recognise-thread.js, dist/print/pdf.js; shared code in
 * dist/chunks/), with the data the modules read copied beside them in the source tree's layout. The web
 * stations are bundled once here.
 *
 * Bundled because start-up is mostly loading: Node 20 compiles and links every ES module file on its own, and
 * `import 'zod'` alone loaded 120 files (64 of them locales) and sharp loads semver's 50. So zod and sharp with
 * its small dependencies are bundled too (zod tree-shaken to the schemas used); every other package stays in
 * node_modules, loaded as before.
 *
 * Each module keeps its own `import.meta.url`: our sources see the URL their unbundled .js file would have in
 * dist/ (where their data is copied), a bundled package sees its own file in node_modules (sharp finds its
 * native binary from there). So data paths are relative to the source file, in a checkout and in the build.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { bundleSources } from '../web/build.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'dist');
/**
 * The process's entry, the modules started by URL rather than imported (worker threads), and the PDF module,
 * which the image check (scripts/image-check.ts) runs on its own.
 */
const ENTRIES = ['cli/rcoi.ts', 'workers/recognise-thread.ts', 'print/pdf.ts'];
/** Packages bundled in; the rest are imported from node_modules at run time. */
const BUNDLED_PACKAGES = new Set(['zod', 'sharp', 'semver', 'detect-libc', '@img/colour']);
/** Read at run time relative to the module that reads them. */
const DATA = [
  'forms/definitions',
  'forms/model.bin',
  'calibration/answers',
  'calibration/checking',
  'calibration/deadlines',
  'calibration/exports',
  'calibration/retention',
  'calibration/scoring',
  'platform/migrations',
  'samples/corpus',
  'workers/thread-entry.js',
];
/** Read only in a checkout: the build writes the stations' bundle to web/assets/ instead. */
const CHECKOUT_ONLY = new Set(['web/app/main.tsx']);

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/** Every output file lies one folder below dist/, so `../` from any of them is dist/ itself. */
const FROM_OUTPUT_TO_OUT = '../';

const packagesOutside: Plugin = {
  name: 'packages-outside',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.kind === 'entry-point' || BUNDLED_PACKAGES.has(packageName(args.path))
        ? undefined
        : { path: args.path, external: true },
    );
  },
};

/** The file whose URL a module would have unbundled: its .js in dist/, or a package's own file. */
function unbundledFile(path: string): string {
  return path.includes(`${sep}node_modules${sep}`)
    ? path
    : join(OUT, relative(ROOT, path)).replace(/\.ts$/, '.js');
}

const ownImportMetaUrl: Plugin = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.(ts|js|mjs|cjs)$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const url = `${FROM_OUTPUT_TO_OUT}${relative(OUT, unbundledFile(args.path)).split(sep).join('/')}`;
      return {
        contents: source.replaceAll(
          'import.meta.url',
          `new URL(${JSON.stringify(url)}, import.meta.url).href`,
        ),
        loader: args.path.endsWith('.ts') ? 'ts' : 'js',
        resolveDir: dirname(args.path),
      };
    });
  },
};

/** Every `new URL('relative/path', import.meta.url)` a bundled source of ours makes: its target's static part. */
function dataReferences(inputs: string[]): { from: string; target: string }[] {
  const refs: { from: string; target: string }[] = [];
  for (const input of inputs) {
    const source = readFileSync(join(ROOT, input), 'utf8');
    for (const [, path = ''] of source.matchAll(
      /new URL\(\s*['`](\.\.?\/[^'`]*)['`],\s*import\.meta\.url\)/g,
    )) {
      const target = join(dirname(input), path.replace(/[^/]*\$\{.*$/, ''));
      refs.push({ from: input, target });
    }
  }
  return refs;
}

const started = performance.now();
rmSync(OUT, { recursive: true, force: true });
const result = await build({
  entryPoints: ENTRIES.map((e) => join(ROOT, e)),
  outbase: ROOT,
  outdir: OUT,
  entryNames: '[dir]/[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  plugins: [packagesOutside, ownImportMetaUrl],
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The bundled CommonJS (semver, detect-libc) requires Node's built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
  metafile: true,
  logLevel: 'warning',
});
for (const output of Object.keys(result.metafile.outputs)) {
  const depth = relative(OUT, join(ROOT, output)).split(sep).length - 1;
  if (depth !== 1)
    throw new Error(`build: ${output} is not one folder below dist/, so its URLs would be wrong`);
}
for (const path of DATA) {
  const to = join(OUT, path);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(join(ROOT, path), to, { recursive: true, filter: (src) => !src.endsWith('.md') });
}
const web = await bundleSources();
mkdirSync(join(OUT, 'web', 'assets'), { recursive: true });
writeFileSync(join(OUT, 'web', 'assets', 'app.js'), web.js);
writeFileSync(join(OUT, 'web', 'assets', 'app.css'), web.css);
const ours = Object.keys(result.metafile.inputs).filter(
  (p) => /\.tsx?$/.test(p) && !p.includes('node_modules'),
);
const missing = dataReferences(ours).filter(
  (r) => !CHECKOUT_ONLY.has(r.target) && !existsSync(join(OUT, r.target)),
);
if (missing.length > 0)
  throw new Error(
    `build: data read at run time is not in dist/ (add it to DATA): ${missing.map((r) => `${r.target} (${r.from})`).join(', ')}`,
  );
console.log(
  `built ${ours.length} modules into ${Object.keys(result.metafile.outputs).length} files, with their data, in ` +
    `${relative(process.cwd(), OUT) || '.'} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
