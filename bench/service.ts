/**
 * `npm run bench:service`: pages through the whole service on real services (PostgreSQL, Redis, the S3
 * server, started privately as the tests do) with `rcoi worker` processes, against the bare pipeline on the
 * same cores in the same run.
 *
 * Pages: the recognition bench's corpus (out/bench-corpus, generated when missing), cycled to --pages. A
 * repeated file gets a distinct trailer after its image data (decoders ignore it), so each copy has its own
 * SHA-256 and is stored and recognised like a new scan; the pixels, and so the work, are the same.
 *
 * Prints pages/s end to end (ingest to the last page recognised), the bare pipeline's pages/s, queue wait
 * p50/p95 (job queued to job started), database rows and bytes per page, object bytes per page.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
} from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { recogniseFiles } from '../cli/recognise.ts';
import { shippedForms } from '../forms/definitions.ts';
import { ingestBatch } from '../intake/ingest.ts';
import { configFromEnv, openAdapters } from '../platform/config.ts';
import { bullmqQueues, queueRecognition, redisConnection } from '../platform/queues.ts';
import { registerExam } from '../platform/store/exams.ts';
import { cpuSnapshot, cpuSpent } from './cpu.ts';
import { startServices, stopServices } from './services.ts';
import { quantile } from './stats.ts';

/** The services' processes by name, as scripts/services.sh starts them. */
const SERVICE_PROCESSES: Record<string, string> = {
  postgres: 'PostgreSQL',
  'redis-server': 'Redis',
  radosgw: 'S3 server (radosgw)',
  'ceph-osd': 'S3 server (ceph-osd)',
  'ceph-mon': 'S3 server (ceph-mon)',
};

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '5000' },
    workers: { type: 'string', default: '2' },
    corpus: { type: 'string', default: 'out/bench-corpus' },
    batch: { type: 'string', default: '100' },
    /** Jobs each worker process runs at once: one computes while another waits for S3 or the database. */
    concurrency: { type: 'string', default: '2' },
  },
});
const pages = Number(values.pages);
const workerCount = Number(values.workers);
const batchSize = Number(values.batch);
const corpusDir = values.corpus;

if (!existsSync(corpusDir) || readdirSync(corpusDir).filter((f) => !f.endsWith('.json')).length < 1000) {
  console.error(`generating the recognition corpus into ${corpusDir} …`);
  execFileSync(
    process.execPath,
    ['--import', 'tsx', 'bench/recognise.ts', '--generate-only', '--corpus', corpusDir],
    {
      stdio: 'inherit',
    },
  );
}
const sources = readdirSync(corpusDir)
  .filter((f) => /\.(png|jpg)$/.test(f))
  .sort()
  .map((f) => join(corpusDir, f));

/**
 * A file's bytes with copy n's trailer, read straight into one buffer: the bench's own copying is no part
 * of ingest.
 */
function readCopy(path: string, copy: number): Uint8Array {
  const trailer = copy === 0 ? '' : `\nrcoi-bench-copy-${copy}`;
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const bytes = Buffer.allocUnsafe(size + Buffer.byteLength(trailer));
    if (readSync(fd, bytes, 0, size, 0) !== size) throw new Error(`${path}: short read`);
    bytes.write(trailer, size);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

// 1. The bare pipeline: the same pages, the same cores, worker threads, no storage.
const bareFiles = Array.from({ length: pages }, (_, i) => sources[i % sources.length]!);
console.error(`bare pipeline: ${pages} pages on ${workerCount} threads …`);
const bareCpu = cpuSnapshot();
// Only the figures are kept: 5,000 results with every field would weigh on this process's heap later.
const bare = await recogniseFiles(bareFiles, shippedForms(), { jobs: workerCount, progress: false }).then(
  (r) => ({
    pages: r.results.length,
    seconds: r.seconds,
  }),
);
const barePagesPerSecond = bare.pages / bare.seconds;
const bareSpent = cpuSpent(bareCpu, cpuSnapshot(), (pid, name) =>
  pid === process.pid ? 'bare pipeline' : `other: ${name}`,
);

// 2. The service.
const svcDir = mkdtempSync(join(tmpdir(), 'rcoi-bench-svc-'));
console.error('starting PostgreSQL, Redis and the S3 server …');
// The S3 server keeps objects in memory: room for every page (1.2 MB on average) and then some.
const serviceEnv = startServices(
  svcDir,
  {
    SERVICES_S3_MEMORY_BYTES: String(Math.max(2 ** 30, Math.round(pages * 1.5 * 2 ** 20))),
    // The store's own lifecycle day, as in production, not the 10-s day of the expiration tests.
    SERVICES_S3_LIFECYCLE_DAY_SECONDS: '',
  },
  { S3_BUCKET: 'rcoi-bench', RCOI_QUEUE_PREFIX: 'bench' },
);
const children: ChildProcess[] = [];
try {
  const config = configFromEnv(serviceEnv);
  const adapters = await openAdapters(config);
  const queues = bullmqQueues(redisConnection(config.redisUrl!), config.queuePrefix);
  await registerExam(adapters.db, {
    id: 'bench',
    kind: 'EGE',
    subjectCode: '02',
    date: '2026-06-01',
    region: '77',
    timeZone: 'Europe/Moscow',
  });
  for (let i = 0; i < workerCount; i++) {
    const child = spawn(process.execPath, ['bin/rcoi.js', 'worker', '--concurrency', values.concurrency], {
      env: serviceEnv,
      stdio: 'ignore',
    });
    children.push(child);
  }
  // Let the workers load (the pipeline's model and wasm) before the clock starts, as a running service has.
  await new Promise((r) => setTimeout(r, 4000));
  console.error(
    `service: ${pages} pages in batches of ${batchSize} through ${workerCount} rcoi worker processes …`,
  );
  const serviceCpu = cpuSnapshot();
  const started = performance.now();
  let queued = 0;
  for (let b = 0; b * batchSize < pages; b++) {
    const files = [];
    for (let i = b * batchSize; i < Math.min(pages, (b + 1) * batchSize); i++) {
      const source = sources[i % sources.length]!;
      files.push({
        name: `${i}-${source.split('/').pop()}`,
        bytes: readCopy(source, Math.floor(i / sources.length)),
      });
    }
    const r = await ingestBatch(
      adapters,
      { batch: `b${b}`, station: 'bench', exam: 'bench', declared: {} },
      'hot-folder',
      files,
    );
    await queueRecognition(queues, r.newPages);
    queued += r.newPages.length;
  }
  const ingestSeconds = (performance.now() - started) / 1000;
  // Redis says when the queue has drained and the database then confirms that no page is left pending:
  // counting pages in PostgreSQL five times a second would load the server being measured.
  for (;;) {
    const c = await queues.counts('recognise');
    if (c.waiting + c.active === 0) {
      const [row] = await adapters.db.query<{ n: number }>(
        `select count(*)::int as n from pages where status <> 'pending'`,
      );
      if ((row?.n ?? 0) >= queued) break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const seconds = (performance.now() - started) / 1000;
  const workerPids = new Set(children.map((c) => c.pid));
  const serviceSpent = cpuSpent(serviceCpu, cpuSnapshot(), (pid, name) => {
    if (workerPids.has(pid)) return 'rcoi worker processes';
    if (pid === process.pid) return 'ingest (this process)';
    return SERVICE_PROCESSES[name] ?? `other: ${name}`;
  });
  const queue = new Queue('recognise', {
    connection: redisConnection(config.redisUrl!),
    prefix: config.queuePrefix,
  });
  const jobs = await queue.getJobs(['completed'], 0, -1);
  const waits = jobs.filter((j) => j.processedOn).map((j) => j.processedOn! - j.timestamp);
  const failed = (await queues.counts('recognise')).failed;
  await queue.close();
  const tables = await adapters.db.query<{ name: string; rows: number }>(
    `select relname as name, n_live_tup::int as rows from pg_stat_user_tables order by relname`,
  );
  const [size] = await adapters.db.query<{ bytes: number }>(
    'select pg_database_size(current_database()) as bytes',
  );
  const [objects] = await adapters.db.query<{ bytes: number }>(
    'select sum(bytes)::bigint as bytes from images',
  );
  const rows = tables.reduce((n, t) => n + t.rows, 0);
  await queues.close();
  await adapters.close();

  const endToEnd = queued / seconds;
  console.log(
    `bench:service: ${queued} pages, ${workerCount} rcoi worker processes (${values.concurrency} jobs each at once), ${new Date().toISOString().slice(0, 10)}`,
  );
  console.log(`machine: ${availableParallelism()} cores, ${cpus()[0]?.model ?? '?'}`);
  console.log('');
  console.log('| run | pages | seconds | pages/s |');
  console.log('|---|---|---|---|');
  console.log(
    `| bare pipeline, ${workerCount} threads | ${bare.pages} | ${bare.seconds.toFixed(1)} | ${barePagesPerSecond.toFixed(2)} |`,
  );
  console.log(
    `| service end to end (ingest to last page recognised) | ${queued} | ${seconds.toFixed(1)} | ${endToEnd.toFixed(2)} |`,
  );
  console.log('');
  console.log(`end to end / bare: ${((100 * endToEnd) / barePagesPerSecond).toFixed(1)}% (target 80%)`);
  console.log(
    `ingest (hash, S3 put, rows, queue) of all pages: ${ingestSeconds.toFixed(1)} s, overlapping recognition`,
  );
  console.log(
    `queue wait (queued to started): p50 ${(quantile(waits) / 1000).toFixed(1)} s, p95 ${(quantile(waits, 0.95) / 1000).toFixed(1)} s`,
  );
  console.log(`dead letters: ${failed}`);
  console.log(
    `database: ${(rows / queued).toFixed(1)} rows per page, ${((size?.bytes ?? 0) / queued / 1024).toFixed(1)} KiB per page (pg_database_size)`,
  );
  const perPage = (s: number, n: number) => `${((1000 * s) / n).toFixed(0)} ms`;
  console.log('');
  console.log('CPU seconds by process (from /proc), per page, and the cores left idle:');
  console.log('');
  console.log('| phase | process | CPU s | per page |');
  console.log('|---|---|---|---|');
  for (const g of bareSpent.groups.filter((g) => g.seconds >= 1))
    console.log(`| bare | ${g.name} | ${g.seconds.toFixed(1)} | ${perPage(g.seconds, bare.pages)} |`);
  console.log(
    `| bare | idle | ${(100 * bareSpent.idleShare).toFixed(1)}% of ${bare.seconds.toFixed(0)} s × ${availableParallelism()} cores | |`,
  );
  // Processes under a second (shells, kernel threads now and then) are left out of the table.
  for (const g of serviceSpent.groups.filter((g) => g.seconds >= 1))
    console.log(`| service | ${g.name} | ${g.seconds.toFixed(1)} | ${perPage(g.seconds, queued)} |`);
  console.log(
    `| service | idle | ${(100 * serviceSpent.idleShare).toFixed(1)}% of ${seconds.toFixed(0)} s × ${availableParallelism()} cores | |`,
  );
  console.log('');
  console.log(`objects: ${((Number(objects?.bytes) || 0) / queued / 1024).toFixed(1)} KiB per page`);
  console.log(
    `rows by table: ${tables
      .filter((t) => t.rows > 0)
      .map((t) => `${t.name} ${t.rows}`)
      .join(', ')}`,
  );
} finally {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1000));
  stopServices(svcDir);
  rmSync(svcDir, { recursive: true, force: true });
}
