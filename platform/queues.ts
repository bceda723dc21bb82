/**
 * The service's stages as queues. On a deployment they are BullMQ queues in Redis, consumed by `rcoi worker`
 * processes on any number of machines; on the embedded default the same handlers run in this process. Either
 * way a job names its work (a page id, a batch) and the handlers are idempotent, so a job run twice (a
 * worker killed after its commit, a stalled job taken over) changes nothing the second time.
 */
import { type ConnectionOptions, type Job, Queue, Worker } from 'bullmq';
import { guarded } from './failures.ts';

export interface StageJobs {
  recognise: { pageId: string };
  /** Puts together the work of a kit from its sheets as they are now. */
  assemble: { kitId: string };
  /** Sends a complete work to blank-AS2 screening or to expert checking. */
  route: { workId: string };
  /** Takes a final scanned checking protocol as the scores of its checks. */
  protocol: { sheetNumber: string };
  /** A retention sweep; `runBy` names the scheduler in the destruction act. */
  retention: { runBy: string };
  /**
   * Recomputes the results a changed key or scale made stale (results/store.ts); `runBy` names the scheduler
   * in the audit trail.
   */
  results: { runBy: string };
  /** Queues every page still pending again: jobs lost with Redis's data are recreated (the rest are no-ops). */
  requeue: Record<string, never>;
}
export type Stage = keyof StageJobs;
export const STAGES: Stage[] = [
  'recognise',
  'assemble',
  'route',
  'protocol',
  'retention',
  'results',
  'requeue',
];

export type StageHandlers = { [S in Stage]: (data: StageJobs[S]) => Promise<unknown> };

export interface RetryPolicy {
  attempts: number;
  /** Milliseconds before the first retry; doubled for each next one. */
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, backoffMs: 2000 };

export interface StageQueues {
  /**
   * Adds a job once: a second add with the same id while the first exists is ignored. Ids may not contain
   * ':' (BullMQ's separator): build them with `jobId`.
   */
  add<S extends Stage>(stage: S, jobId: string, data: StageJobs[S]): Promise<void>;
  /**
   * Asks for a run that starts after this call, for work whose runs each read the state anew (a kit's
   * assembly): while one for `key` waits, this is ignored, as the waiting one will see what changed; while
   * one runs, one more follows it, with this call's data. So a key has at most one run waiting and one running.
   */
  again<S extends Stage>(stage: S, key: string, data: StageJobs[S]): Promise<void>;
  /** `add` for many jobs of one stage in one round trip (a batch's pages). */
  addMany<S extends Stage>(stage: S, jobs: { jobId: string; data: StageJobs[S] }[]): Promise<void>;
  /** Jobs waiting, running, failed for good (the dead letters, with their reasons). */
  counts(stage: Stage): Promise<{ waiting: number; active: number; failed: number; completed: number }>;
  deadLetters(stage: Stage): Promise<{ jobId: string; reason: string; attempts: number }[]>;
  /** Gives dead jobs a new round of attempts; returns how many there were. */
  retryDead(stage: Stage, jobIds: string[]): Promise<number>;
  /** A job repeated every `everyMs`, defined once however many processes ask for it. */
  schedule<S extends Stage>(stage: S, id: string, everyMs: number, data: StageJobs[S]): Promise<void>;
  close(): Promise<void>;
}

export interface StageWorkers {
  /** Finishes the jobs in hand, takes no new ones. */
  close(): Promise<void>;
}

/** A job id from its parts, safe for BullMQ whatever the parts hold. */
export function jobId(...parts: string[]): string {
  return parts.map((p) => encodeURIComponent(p)).join('@');
}

/** Redis connection for BullMQ: blocking commands must not time out. */
export function redisConnection(url: string): ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.password && { password: decodeURIComponent(u.password) }),
    maxRetriesPerRequest: null,
  };
}

export function bullmqQueues(
  connection: ConnectionOptions,
  prefix: string,
  retry = DEFAULT_RETRY,
): StageQueues {
  const queues = new Map(
    STAGES.map((s) => {
      const q = new Queue(s, { connection, prefix });
      // ioredis reconnects by itself; a call made while Redis is away fails on its own, with its reason.
      q.on('error', () => {});
      return [s, q];
    }),
  );
  const queue = (s: Stage) => queues.get(s)!;
  const retried = {
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs },
    removeOnComplete: { count: 10_000 },
    removeOnFail: false,
  };
  const options = (jobId: string) => ({ jobId, ...retried });
  return guarded('queue', {
    async add(stage, jobId, data) {
      await queue(stage).add(stage, data, options(jobId));
    },
    async again(stage, key, data) {
      // BullMQ's deduplication does just this; the job's id is BullMQ's own.
      await queue(stage).add(stage, data, { ...retried, deduplication: { id: key, keepLastIfActive: true } });
    },
    async addMany(stage, jobs) {
      await queue(stage).addBulk(jobs.map((j) => ({ name: stage, data: j.data, opts: options(j.jobId) })));
    },
    async counts(stage) {
      const c = await queue(stage).getJobCounts('waiting', 'active', 'failed', 'completed', 'delayed');
      return {
        waiting: (c.waiting ?? 0) + (c.delayed ?? 0),
        active: c.active ?? 0,
        failed: c.failed ?? 0,
        completed: c.completed ?? 0,
      };
    },
    async deadLetters(stage) {
      const failed = await queue(stage).getFailed();
      return failed.map((j) => ({ jobId: j.id ?? '', reason: j.failedReason, attempts: j.attemptsMade }));
    },
    async schedule(stage, id, everyMs, data) {
      await queue(stage).upsertJobScheduler(id, { every: everyMs }, { name: stage, data });
    },
    async retryDead(stage, jobIds) {
      // Dead letters are few: read them once rather than asking Redis about every job id.
      const wanted = new Set(jobIds);
      let n = 0;
      for (const job of await queue(stage).getFailed()) {
        if (job.id && wanted.has(job.id)) {
          await job.retry('failed');
          n++;
        }
      }
      return n;
    },
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  });
}

export interface JobDone {
  stage: Stage;
  jobId: string;
  ms: number;
  result: unknown;
}

export interface WorkerOptions {
  /** Key prefix in Redis: one deployment's queues. */
  prefix: string;
  concurrency: Partial<Record<Stage, number>>;
  /** How long a job's lock lasts without renewal: a killed worker's job is taken over after this. */
  lockDurationMs?: number;
  onFailed?: (stage: Stage, jobId: string, err: Error) => void;
  onDone?: (done: JobDone) => void;
}

export function bullmqWorkers(
  connection: ConnectionOptions,
  handlers: StageHandlers,
  opts: WorkerOptions,
): StageWorkers {
  const lock = opts.lockDurationMs ?? 30_000;
  const workers = STAGES.map((stage) => {
    const run = async (job: Job) => {
      const started = performance.now();
      const result = await handlers[stage](job.data);
      opts.onDone?.({ stage, jobId: job.id ?? '', ms: Math.round(performance.now() - started), result });
      return result;
    };
    const w = new Worker(stage, run, {
      connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency[stage] ?? 1,
      lockDuration: lock,
      stalledInterval: Math.max(1000, lock / 2),
      maxStalledCount: 2,
    });
    w.on('failed', (job, err) => opts.onFailed?.(stage, job?.id ?? '', err));
    // Connection trouble is retried by ioredis; the event only needs a listener so it cannot crash us.
    w.on('error', () => {});
    return w;
  });
  return {
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}

/**
 * The embedded default: the same stages in this process, with the same retry policy and a dead-letter list.
 * Nothing survives a restart here; the embedded service re-queues pending pages from the database at start
 * and periodically.
 */
export function inProcessStages(
  handlers: StageHandlers,
  concurrency = 1,
  retry = DEFAULT_RETRY,
): StageQueues & StageWorkers & { idle(): Promise<void> } {
  /** `key`: an `again` job's stage and key. */
  type Item = { stage: Stage; jobId: string; data: StageJobs[Stage]; attempt: number; key?: string };
  const pending: Item[] = [];
  const known = new Set<string>();
  /** Where each `again` key's run is, and the run asked for while it ran. */
  const keyed = new Map<string, 'waiting' | 'running'>();
  const following = new Map<string, Item>();
  /** A job done for good (completed or dead): its id is free again, or its key's next run is queued. */
  const finished = (item: Item) => {
    if (!item.key) return void known.delete(`${item.stage}:${item.jobId}`);
    const next = following.get(item.key);
    following.delete(item.key);
    if (!next) return void keyed.delete(item.key);
    keyed.set(item.key, 'waiting');
    pending.push(next);
  };
  const dead = new Map<
    Stage,
    { jobId: string; reason: string; attempts: number; data: StageJobs[Stage] }[]
  >();
  const completed = new Map<Stage, number>();
  const timers: NodeJS.Timeout[] = [];
  let active = 0;
  // Per stage too: the requeue pass compares the recognise stage's live jobs with the pending pages.
  const activeIn = new Map<Stage, number>();
  const running = (stage: Stage, by: number) => activeIn.set(stage, (activeIn.get(stage) ?? 0) + by);
  /** Retries waiting for their backoff to pass. */
  let scheduled = 0;
  let closed = false;
  let waiters: (() => void)[] = [];
  const settle = () => {
    if (active === 0 && scheduled === 0 && pending.length === 0) {
      for (const w of waiters) w();
      waiters = [];
    }
  };
  const failed = (item: Item, err: Error) => {
    if (item.attempt + 1 < retry.attempts) {
      // A retry reads the state anew, as a waiting run would.
      if (item.key) keyed.set(item.key, 'waiting');
      scheduled++;
      setTimeout(
        () => {
          scheduled--;
          pending.push({ ...item, attempt: item.attempt + 1 });
          pump();
        },
        retry.backoffMs * 2 ** item.attempt,
      );
      return;
    }
    const list = dead.get(item.stage) ?? [];
    list.push({ jobId: item.jobId, reason: err.message, attempts: item.attempt + 1, data: item.data });
    dead.set(item.stage, list);
    finished(item);
  };
  const pump = () => {
    while (!closed && active < concurrency && pending.length > 0) {
      const item = pending.shift()!;
      if (item.key) keyed.set(item.key, 'running');
      active++;
      running(item.stage, 1);
      (handlers[item.stage] as (d: StageJobs[Stage]) => Promise<unknown>)(item.data)
        .then(
          () => {
            completed.set(item.stage, (completed.get(item.stage) ?? 0) + 1);
            finished(item);
          },
          (err: Error) => failed(item, err),
        )
        .finally(() => {
          active--;
          running(item.stage, -1);
          pump();
          settle();
        });
    }
  };
  const add = async <S extends Stage>(stage: S, jobId: string, data: StageJobs[S]) => {
    const key = `${stage}:${jobId}`;
    if (known.has(key)) return;
    known.add(key);
    pending.push({ stage, jobId, data, attempt: 0 });
    pump();
  };
  return {
    add,
    async again(stage, jobKey, data) {
      const key = `${stage}:${jobKey}`;
      const item = { stage, jobId: jobKey, data, attempt: 0, key };
      const where = keyed.get(key);
      if (where === 'running') following.set(key, item);
      if (where) return;
      keyed.set(key, 'waiting');
      pending.push(item);
      pump();
    },
    async addMany(stage, jobs) {
      for (const j of jobs) await add(stage, j.jobId, j.data);
    },
    async counts(stage) {
      return {
        waiting: pending.filter((p) => p.stage === stage).length,
        active: activeIn.get(stage) ?? 0,
        failed: dead.get(stage)?.length ?? 0,
        completed: completed.get(stage) ?? 0,
      };
    },
    async deadLetters(stage) {
      return (dead.get(stage) ?? []).map(({ jobId, reason, attempts }) => ({ jobId, reason, attempts }));
    },
    async retryDead(stage, jobIds) {
      const list = dead.get(stage) ?? [];
      const again = list.filter((d) => jobIds.includes(d.jobId));
      dead.set(
        stage,
        list.filter((d) => !jobIds.includes(d.jobId)),
      );
      for (const d of again) {
        known.delete(`${stage}:${d.jobId}`);
        await add(stage, d.jobId, d.data as StageJobs[typeof stage]);
      }
      return again.length;
    },
    async schedule(stage, id, everyMs, data) {
      const run = () => void add(stage, `${id}:${Date.now()}`, data);
      run();
      timers.push(setInterval(run, everyMs));
    },
    idle() {
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        settle();
      });
    },
    async close() {
      closed = true;
      for (const t of timers) clearInterval(t);
      await new Promise<void>((resolve) => {
        const check = () => (active === 0 ? resolve() : setTimeout(check, 10));
        check();
      });
    },
  };
}

/** Pages queued in one call at most: a requeue after Redis lost everything is not one giant pipeline. */
const QUEUE_CHUNK = 1000;

/** Queues pages for recognition, a batch's at once. */
export async function queueRecognition(queues: Pick<StageQueues, 'addMany'>, pageIds: string[]) {
  for (let i = 0; i < pageIds.length; i += QUEUE_CHUNK)
    await queues.addMany(
      'recognise',
      pageIds.slice(i, i + QUEUE_CHUNK).map((pageId) => ({ jobId: pageId, data: { pageId } })),
    );
}
