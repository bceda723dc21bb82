/**
 * Checks the production image without a container engine: assembles each Dockerfile stage's files exactly as
 * its COPY lines say (running its `npm` steps; system steps such as apt-get are outside /app and are only
 * checked for the font package the PDFs need), then starts the runtime stage's ENTRYPOINT with
 * `serve --demo` on a free port and an empty data dir, and checks /health, that the demo batch is processed,
 * the web stations' script, a Cyrillic PDF made by the image's own code with its font embedded, and that
 * `recognise --jobs 2` reads sample pages in worker threads.
 * Any missing file fails it. Usage: `tsx scripts/image-check.ts` (scripts/image-check.sh).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The Debian package whose file print/pdf.ts reads by default. */
const FONT_PACKAGE = 'fonts-dejavu-core';

interface Stage {
  name: string;
  from: string;
  workdir: string;
  env: Record<string, string>;
  steps: { op: string; args: string }[];
}

function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const stage = stages.at(-1);
    if (op.toUpperCase() === 'FROM') {
      const [from = '', , name] = args.split(/\s+/);
      const base = stages.find((s) => s.name === from);
      stages.push({
        name: name ?? String(stages.length),
        from,
        workdir: base?.workdir ?? '/',
        env: { ...base?.env },
        steps: [],
      });
    } else if (!stage) throw new Error(`Dockerfile: ${op} before FROM`);
    else if (op.toUpperCase() === 'WORKDIR') stage.workdir = posix.resolve(stage.workdir, args);
    else if (op.toUpperCase() === 'ENV')
      for (const [, k, v] of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) stage.env[k!] = v!.replace(/^"|"$/g, '');
    else stage.steps.push({ op: op.toUpperCase(), args });
  }
  return stages;
}

/** .dockerignore's patterns: every line there names top-level entries (a name or a `*.ext` glob). */
function dockerIgnored(): (name: string) => boolean {
  const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`));
  return (name) => patterns.some((p) => p.test(name));
}

/** Docker's COPY: `.` copies a folder's contents; a destination ending in `/` (or many sources) is a folder. */
function copyInto(
  fromDir: string,
  sources: string[],
  dest: { path: string; folder: boolean },
  ignored?: (name: string) => boolean,
): void {
  for (const src of sources) {
    const from = join(fromDir, src);
    if (!existsSync(from)) throw new Error(`COPY source missing: ${src}`);
    if (src === '.' || src === './') {
      mkdirSync(dest.path, { recursive: true });
      for (const name of readdirSync(from)) {
        if (!ignored?.(name)) cpSync(join(from, name), join(dest.path, name), { recursive: true });
      }
    } else {
      cpSync(from, dest.folder ? join(dest.path, basename(src)) : dest.path, { recursive: true });
    }
  }
}

/** Materialises every stage into `work/NAME`, the stage's WORKDIR standing for the folder itself. */
function assemble(stages: Stage[], work: string): { final: Stage; dir: string } {
  const dirs = new Map<string, string>();
  const ignored = dockerIgnored();
  for (const stage of stages) {
    const dir = join(work, stage.name);
    const base = dirs.get(stage.from);
    if (base) execFileSync('cp', ['-al', base, dir]);
    else mkdirSync(dir);
    const here = (p: string, sources: string[]) => ({
      path: join(dir, posix.relative(stage.workdir, posix.resolve(stage.workdir, p))),
      folder: p.endsWith('/') || sources.length > 1,
    });
    for (const { op, args } of stage.steps) {
      if (op === 'COPY') {
        const words = args.split(/\s+/);
        const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
        const [dest = '', ...sources] = words.filter((w) => !w.startsWith('--')).reverse();
        sources.reverse();
        if (from) {
          const source = stages.find((s) => s.name === from);
          const sourceDir = dirs.get(from);
          if (!source || !sourceDir) throw new Error(`COPY --from=${from}: no such earlier stage`);
          const inStage = sources.map((s) => posix.relative(source.workdir, s));
          if (inStage.some((s) => s.startsWith('..')))
            throw new Error(`COPY --from=${from}: outside its WORKDIR`);
          copyInto(sourceDir, inStage, here(dest, sources));
        } else copyInto(ROOT, sources, here(dest, sources), ignored);
      } else if (op === 'RUN' && /^npm /.test(args)) {
        const argv = args.split(/\s+/).slice(1);
        if (argv[0] === 'ci') argv.push('--prefer-offline');
        console.log(`image check: [${stage.name}] npm ${argv.join(' ')}`);
        execFileSync('npm', argv, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
      }
    }
    dirs.set(stage.name, dir);
  }
  const final = stages.at(-1)!;
  return { final, dir: dirs.get(final.name)! };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Text of the PDF's streams, inflated where they are compressed, to find the embedded font's name. */
function pdfText(pdf: Buffer): string {
  let text = pdf.toString('latin1');
  for (const m of text.matchAll(/stream\r?\n/g)) {
    const start = m.index! + m[0].length;
    const end = pdf.indexOf('endstream', start);
    try {
      text += inflateSync(pdf.subarray(start, end)).toString('latin1');
    } catch {
      // Not deflated (or not a whole stream): its raw bytes are in `text` already.
    }
  }
  return text;
}

function waitForOutput(child: ChildProcess, done: (out: string) => boolean, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no demo summary within ${ms / 1000} s:\n${out}`)), ms);
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      if (done(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (${code}) before it was ready:\n${out}`));
    });
  });
}

async function check(): Promise<void> {
  const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const final = stages.at(-1)!;
  if (!final.steps.some((s) => s.op === 'RUN' && s.args.includes(FONT_PACKAGE)))
    throw new Error(`the runtime stage does not install ${FONT_PACKAGE}, the PDFs' font`);
  const entry = final.steps.filter((s) => s.op === 'ENTRYPOINT').at(-1);
  if (!entry) throw new Error('the runtime stage has no ENTRYPOINT');
  const [program, ...entryArgs] = JSON.parse(entry.args) as string[];
  if (program !== 'node') throw new Error(`ENTRYPOINT runs ${program}, not node`);

  const work = mkdtempSync(join(tmpdir(), 'rcoi-image-'));
  let service: ChildProcess | undefined;
  try {
    const { dir } = assemble(stages, work);
    console.log(`image check: runtime files assembled in ${dir}: ${readdirSync(dir).sort().join(', ')}`);
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...final.env };
    Object.assign(env, { RCOI_DATA_DIR: join(work, 'data'), PORT: String(port) });
    service = spawn(process.execPath, [...entryArgs, 'serve', '--demo'], { cwd: dir, env });
    service.stderr!.on('data', (chunk) => process.stderr.write(chunk));
    const out = await waitForOutput(service, (o) => o.includes('Ctrl-C stops'), 180_000);
    const token = (user: string) => new RegExp(`^ {2}${user} +(\\S+)$`, 'm').exec(out)?.[1];
    const url = `http://127.0.0.1:${port}`;

    const health = await fetch(`${url}/health`);
    if (!health.ok) throw new Error(`/health answered ${health.status}`);
    const batchId = /^sample batch (\S+) in /m.exec(out)?.[1];
    if (!batchId || batchId === '(already') throw new Error(`no demo batch in the summary:\n${out}`);
    const batch = await fetch(`${url}/api/batches/${encodeURIComponent(batchId)}`, {
      headers: { authorization: `Bearer ${token('demo-operator')}` },
    });
    const report = (await batch.json()) as { pagesByStatus?: Record<string, number> };
    const pages = Object.entries(report.pagesByStatus ?? {});
    if (!batch.ok || pages.length === 0 || pages.some(([status]) => status === 'pending'))
      throw new Error(`the demo batch is not processed: ${batch.status} ${JSON.stringify(report)}`);
    const script = await fetch(`${url}/assets/app.js`);
    if (!script.ok || (await script.arrayBuffer()).byteLength < 1000)
      throw new Error(`/assets/app.js answered ${script.status}`);

    // No demo work exists to export, so the image's own PDF code makes a Cyrillic page with its font.
    const pdf = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { PdfBook } = await import('./dist/print/pdf.js');
         const book = await PdfBook.create('Проверка образа');
         book.textPages('Работа 0001', ['Кириллица: Ёжик съел щи']);
         process.stdout.write(await book.bytes());`,
      ],
      { cwd: dir, env },
    );
    if (!pdf.subarray(0, 5).equals(Buffer.from('%PDF-'))) throw new Error('the PDF export made no PDF');
    if (!/\/FontName\s*\/\S*DejaVuSans/.test(pdfText(pdf)))
      throw new Error('the PDF does not embed DejaVu Sans (its Cyrillic text would not show)');
    // Recognition in worker threads, which start the build's thread module by URL (the service recognises
    // in-process, so the demo does not reach it): a missing module rejects every page as an internal error.
    const samples = ['ege-as1-2023-scanner-1.jpg', 'bubble-sheet-60x5-phone-6.jpg'];
    const recognised = execFileSync(
      process.execPath,
      [
        ...entryArgs,
        'recognise',
        '--jobs',
        '2',
        '--out',
        join(work, 'recognise'),
        ...samples.map((f) => join('dist/samples/corpus', f)),
      ],
      { cwd: dir, env, encoding: 'utf8' },
    );
    if (!recognised.includes(`${samples.length} pages in`) || /rejected: /.test(recognised))
      throw new Error(`recognise --jobs 2 did not read the sample pages:\n${recognised}`);
    console.log(
      `image check: ok: /health, demo batch ${batchId} ${JSON.stringify(report.pagesByStatus)}, ` +
        `web script, Cyrillic PDF (${pdf.length} bytes, DejaVu Sans embedded), ` +
        `${samples.length} pages recognised in worker threads`,
    );
  } finally {
    service?.kill('SIGTERM');
    if (service && service.exitCode === null) await new Promise((r) => service!.once('exit', r));
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  await check();
} catch (err) {
  console.error(`image check FAILED: ${(err as Error).message}`);
  process.exit(1);
}
