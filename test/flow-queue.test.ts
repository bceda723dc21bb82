/**
 * The recognise stage on BullMQ with real `rcoi worker` processes, PostgreSQL and the S3 server: a worker
 * killed mid-batch loses no page and has none recognised twice; so do a PostgreSQL outage, a Redis that
 * restarts empty and an S3 outage (which rejects no page and quarantines no batch); a job that cannot
 * succeed ends as a dead letter with its reason; SIGTERM stops a worker cleanly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { scanInbox } from '../intake/inbox.ts';
import { ingestBatch } from '../intake/ingest.ts';
import { configFromEnv, type OpenedAdapters, openAdapters } from '../platform/config.ts';
import { bullmqQueues, queueRecognition, redisConnection, type StageQueues } from '../platform/queues.ts';
import { registerExam } from '../platform/store/exams.ts';
import { corpusExpected, corpusFiles } from '../samples/make-corpus.ts';
import { expectedVerification, MOSCOW_EGE_02 } from './helpers.ts';
import { freshPostgresDatabase, privateServices, type TestServices, testServices } from './services.ts';

const expected = corpusExpected();
const corpus = corpusFiles();

const children: ChildProcess[] = [];
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const close of closers) await close();
});

/** A deployment on the shared services (its own database, bucket and queue prefix), or on a private set. */
async function deployment(own?: TestServices) {
  const svc = own ?? testServices();
  const id = randomBytes(4).toString('hex');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: own ? own.databaseUrl : await freshPostgresDatabase(),
    REDIS_URL: svc.redisUrl,
    S3_ENDPOINT: svc.s3.endPoint,
    S3_PORT: String(svc.s3.port),
    S3_USE_SSL: 'false',
    S3_ACCESS_KEY: svc.s3.accessKey,
    S3_SECRET_KEY: svc.s3.secretKey,
    S3_REGION: svc.s3.region,
    S3_BUCKET: `rcoi-queue-${id}`,
    RCOI_QUEUE_PREFIX: `t-${id}`,
    RCOI_LOCK_MS: '2000',
    // Redis that restarts empty is noticed within a second (the default is a minute).
    RCOI_REQUEUE_MS: '1000',
  };
  const config = configFromEnv(env);
  const adapters: OpenedAdapters = await openAdapters(config);
  const queues: StageQueues = bullmqQueues(redisConnection(svc.redisUrl), config.queuePrefix, {
    attempts: 2,
    backoffMs: 100,
  });
  closers.push(
    () => queues.close(),
    () => adapters.close(),
  );
  await registerExam(adapters.db, MOSCOW_EGE_02);
  return { env, adapters, queues };
}

function startWorker(env: NodeJS.ProcessEnv): ChildProcess & { output: string[] } {
  const child = spawn(process.execPath, ['bin/rcoi.js', 'worker'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (d) => output.push(String(d)));
  child.stderr?.on('data', (d) => output.push(String(d)));
  children.push(child);
  return Object.assign(child, { output });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const exited = (c: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    c.exitCode !== null ? resolve(c.exitCode) : c.once('exit', resolve),
  );

/** The corpus ingested as one batch, each new page queued for recognition. */
async function queueCorpus(adapters: OpenedAdapters, queues: StageQueues) {
  const batch = await ingestBatch(
    adapters,
    { batch: 'b1', station: 's1', exam: '2026-ege-02', declared: {} },
    'hot-folder',
    corpus,
  );
  await queueRecognition(queues, batch.newPages);
  return batch;
}

async function recognisedPages(db: OpenedAdapters['db']): Promise<number> {
  return (await db.query<{ n: number }>(`select count(*)::int as n from pages where status <> 'pending'`))[0]!
    .n;
}

/** Every page's fields and tasks written exactly once: the counts the corpus's golden results give. */
async function expectEachPageOnce(db: OpenedAdapters['db']): Promise<void> {
  const golden = Object.values(expected);
  const [rows] = await db.query<{ fields: number; tasks: number }>(
    `select (select count(*)::int from fields) as fields, (select count(*)::int from verification_tasks) as tasks`,
  );
  expect(rows).toEqual({
    fields: golden.reduce((n, p) => n + Object.keys(p.fields).length, 0),
    tasks: expectedVerification(expected).tasks,
  });
}

describe('recognise stage on BullMQ', () => {
  it('loses no page and recognises none twice when a worker is killed mid-batch', async () => {
    const { env, adapters, queues } = await deployment();
    const { db } = adapters;
    const batch = await queueCorpus(adapters, queues);
    // Queueing the same jobs again is ignored: a redelivered batch does not queue its pages twice.
    await queueRecognition(queues, batch.newPages);
    await queues.add('recognise', batch.newPages[0]!, { pageId: batch.newPages[0]! });
    const done = () => recognisedPages(db);

    const first = startWorker(env);
    await until('the first worker has recognised two pages', async () => (await done()) >= 2);
    first.kill('SIGKILL');
    await exited(first);
    expect(await done()).toBeLessThan(batch.newPages.length);

    const second = startWorker(env);
    await until('every page is recognised', async () => (await done()) === batch.newPages.length);
    await until('the queue is empty', async () => {
      const c = await queues.counts('recognise');
      return c.waiting === 0 && c.active === 0;
    });
    second.kill('SIGTERM');
    expect(await exited(second)).toBe(0);
    // The log names jobs and pages, never a recognised value.
    const lines = second.output
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; stage?: string; jobId?: string; outcome?: string });
    expect(lines.at(-1)?.msg).toBe('worker stopped');
    const jobLines = lines.filter((l) => l.msg === 'job done' && l.stage === 'recognise');
    expect(jobLines.length).toBeGreaterThan(0);
    expect(jobLines.every((l) => /^[0-9a-f]{64}#\d+$/.test(l.jobId ?? ''))).toBe(true);
    expect(second.output.join('')).not.toMatch(/"value"/);
    await expectEachPageOnce(db);
    expect(await queues.deadLetters('recognise')).toEqual([]);
  }, 180_000);

  it('lives through a PostgreSQL outage and a Redis restart that loses every job', async () => {
    const svc = await privateServices();
    closers.push(() => svc.stop());
    const { env, adapters, queues } = await deployment(svc);
    const { db } = adapters;
    const batch = await queueCorpus(adapters, queues);
    const done = () => recognisedPages(db);
    const worker = startWorker(env);
    await until('two pages are recognised', async () => (await done()) >= 2);
    // PostgreSQL is down for 3 s: the jobs of the moment spend their attempts and die; the pools reconnect,
    // and the requeue pass gives the dead jobs of pending pages another round.
    await svc.restart('postgres', 3);
    const afterOutage = await done();
    await until('recognition goes on after the outage', async () => (await done()) > afterOutage);
    // Redis comes back empty: jobs and schedules are gone; the worker defines the schedules again and the
    // requeue pass finds the pages still pending.
    await svc.restart('redis', 1);
    await until('every page is recognised', async () => (await done()) === batch.newPages.length, 150_000);
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
    await expectEachPageOnce(db);
  }, 240_000);

  it('waits out an S3 outage mid-batch and during an inbox drop: no page rejected, lost or doubled', async () => {
    const svc = await privateServices();
    closers.push(() => svc.stop());
    const { env, adapters, queues } = await deployment(svc);
    const { db } = adapters;
    // The corpus but its last three files, ingested and queued while the store is up.
    const held = corpus.slice(-3);
    const first = await ingestBatch(
      adapters,
      { batch: 'b1', station: 's1', exam: '2026-ege-02', declared: {} },
      'hot-folder',
      corpus.slice(0, -3),
    );
    await queueRecognition(queues, first.newPages);
    const worker = startWorker(env);
    await until('two pages are recognised', async () => (await recognisedPages(db)) >= 2);
    // Held still while the store goes away, so pages of the batch are left to try without it.
    worker.kill('SIGSTOP');
    expect(await recognisedPages(db)).toBeLessThan(first.newPages.length);
    await svc.down('s3');
    worker.kill('SIGCONT');
    const rejectedUnread = async () =>
      (
        await db.query<{ n: number }>(`select count(*)::int as n from pages where reason = 'unreadable-file'`)
      )[0]!.n;
    await until(
      'a page has been tried without the store',
      async () => worker.output.join('').includes('"msg":"job failed"') || (await rejectedUnread()) > 0,
    );
    // A valid batch dropped meanwhile: two files already stored, then three new ones the store must take.
    const inbox = mkdtempSync(join(tmpdir(), 'rcoi-inbox-'));
    closers.push(async () => rmSync(inbox, { recursive: true, force: true }));
    mkdirSync(join(inbox, 'b2'));
    for (const f of [...corpus.slice(0, 2), ...held]) writeFileSync(join(inbox, 'b2', f.name), f.bytes);
    const manifest = { batch: 'b2', station: 's1', exam: '2026-ege-02', declared: {} };
    writeFileSync(join(inbox, 'b2', 'batch.json'), JSON.stringify(manifest));
    expect(await scanInbox(adapters, queues, inbox)).toMatchObject([
      { folder: 'b2', outcome: 'deferred', reason: expect.stringMatching(/^object store unavailable/) },
    ]);
    expect(readdirSync(inbox)).toEqual(['b2']);

    await svc.up('s3');
    const [taken] = await scanInbox(adapters, queues, inbox);
    expect(taken).toMatchObject({ folder: 'b2', outcome: 'ingested' });
    expect(readdirSync(inbox).sort()).toEqual(['done']);
    const total = Object.keys(expected).length;
    expect(first.newPages.length + (taken?.newPages ?? 0)).toBe(total);
    await until('every page is recognised', async () => (await recognisedPages(db)) === total, 150_000);
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
    expect(await rejectedUnread()).toBe(0);
    const statuses = await db.query<{ status: string; n: number }>(
      `select status, count(*)::int as n from pages group by status order by status`,
    );
    const golden: Record<string, number> = {};
    for (const p of Object.values(expected)) golden[p.status] = (golden[p.status] ?? 0) + 1;
    expect(Object.fromEntries(statuses.map((r) => [r.status, r.n]))).toEqual(golden);
    await expectEachPageOnce(db);
  }, 240_000);

  it('queues pending pages again when Redis has lost their jobs and schedules', async () => {
    const { env, adapters, queues } = await deployment();
    const batch = await ingestBatch(
      adapters,
      { batch: 'b1', station: 's1', exam: '2026-ege-02', declared: {} },
      'hot-folder',
      corpus.slice(0, 4),
    );
    await queueRecognition(queues, batch.newPages);
    // Redis loses this deployment's data (a restart without persistence, a failover to an empty replica).
    const redis = new Redis(testServices().redisUrl, { maxRetriesPerRequest: null });
    const keys = await redis.keys(`${env.RCOI_QUEUE_PREFIX}:*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);
    await redis.quit();
    expect((await queues.counts('recognise')).waiting).toBe(0);
    const worker = startWorker(env);
    await until('every page is recognised', async () => {
      const [row] = await adapters.db.query<{ n: number }>(
        `select count(*)::int as n from pages where status = 'pending'`,
      );
      return row?.n === 0;
    });
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
  }, 120_000);

  it('keeps a job that cannot succeed as a dead letter with its reason', async () => {
    const { env, queues } = await deployment();
    await queues.add('recognise', 'no-such-page', { pageId: 'no-such-page' });
    const worker = startWorker(env);
    await until('the job is dead', async () => (await queues.counts('recognise')).failed === 1, 60_000);
    expect(await queues.deadLetters('recognise')).toEqual([
      { jobId: 'no-such-page', reason: 'no page no-such-page', attempts: 2 },
    ]);
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
  }, 120_000);
});
