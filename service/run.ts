/**
 * The service in one process: the API, the hot-folder inbox, and, on the embedded default (no REDIS_URL),
 * the stages themselves. With REDIS_URL the stages run in `rcoi worker` processes and this one only queues.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { shippedRules } from '../checking/store.ts';
import type { BatchReport } from '../contract/intake.ts';
import type { BatchManifest } from '../domain/batch.ts';
import { shippedForms } from '../forms/definitions.ts';
import { type InboxResult, scanInbox } from '../intake/inbox.ts';
import { batchReport } from '../intake/store.ts';
import { type OpenedAdapters, openAdapters, type ServiceConfig } from '../platform/config.ts';
import { bullmqQueues, inProcessStages, redisConnection, type StageQueues } from '../platform/queues.ts';
import { registerExam } from '../platform/store/exams.ts';
import { issueUser, type User } from '../platform/store/users.ts';
import { corpusDeclared, corpusFiles } from '../samples/make-corpus.ts';
import { taskCounts } from '../verification/store.ts';
import {
  RESULTS_EVERY_MS,
  RETENTION_EVERY_MS,
  type RequeueTarget,
  scheduleRecurring,
  stageHandlers,
} from '../workers/handlers.ts';
import { buildApi } from './api.ts';

export interface RunningService {
  app: FastifyInstance;
  adapters: OpenedAdapters;
  queues: StageQueues;
  inbox: string;
  /** One pass over the inbox (the poller runs it every few seconds). */
  scan(): Promise<InboxResult[]>;
  /** Resolves when the in-process stages have nothing left to do (embedded default only). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  logger?: boolean;
  /** Listen on config.port; tests use app.inject instead. */
  listen?: boolean;
  pollMs?: number;
  concurrency?: number;
}

/** How long requests in flight may finish after a stop before their connections are closed. */
const STOP_GRACE_MS = 1000;

export const DEMO_EXAM = '2026-ege-02';

export async function startService(
  config: ServiceConfig,
  opts: ServiceOptions = {},
): Promise<RunningService> {
  const adapters = await openAdapters(config);
  const forms = shippedForms();
  const rulesOf = shippedRules();
  const embedded = !config.redisUrl;
  // The requeue handler adds to whichever queues this process has, made just below.
  const target: RequeueTarget = {
    add: (stage, id, data) => queues.add(stage, id, data),
    again: (stage, key, data) => queues.again(stage, key, data),
    addMany: (stage, jobs) => queues.addMany(stage, jobs),
    retryDead: (stage, ids) => queues.retryDead(stage, ids),
    counts: (stage) => queues.counts(stage),
  };
  const stages = embedded
    ? inProcessStages(
        stageHandlers(adapters, forms, target, { rulesOf }),
        opts.concurrency ?? Math.max(1, availableParallelism() - 1),
      )
    : undefined;
  const queues: StageQueues = stages ?? bullmqQueues(redisConnection(config.redisUrl!), config.queuePrefix);
  let reschedule: NodeJS.Timeout | undefined;
  if (stages) {
    // Nothing queued survives a restart in-process: what the last run left undone is queued again at once,
    // and then every requeueMs (as on Redis), with another round for jobs that died in an outage.
    await queues.schedule('requeue', 'requeue-pending', config.requeueMs, {});
    await queues.schedule('retention', 'retention-hourly', RETENTION_EVERY_MS, {
      runBy: 'retention-sweeper',
    });
    await queues.schedule('results', 'results-hourly', RESULTS_EVERY_MS, { runBy: 'results-recompute' });
  } else {
    await scheduleRecurring(queues, config.requeueMs);
    reschedule = setInterval(
      () =>
        void scheduleRecurring(queues, config.requeueMs).catch((err: Error) =>
          app.log.warn({ err: err.message }, 'could not define the recurring jobs'),
        ),
      config.requeueMs,
    );
  }
  const app = buildApi(
    {
      ...adapters,
      forms,
      rulesOf,
      queues,
      verifyDwellMs: config.verifyDwellMs,
      groupDwellMs: config.groupDwellMs,
    },
    { logger: opts.logger ?? false },
  );
  const inbox = join(config.dataDir, 'inbox');
  let scanning: Promise<InboxResult[]> | null = null;
  // A stop waits for the file in hand, not for the rest of a season's inbox.
  const stopping = new AbortController();
  const scan = () => {
    scanning ??= scanInbox(adapters, queues, inbox, config.packageKeys, stopping.signal).then((results) => {
      for (const r of results) {
        if (r.outcome === 'ingested') app.log.info({ batch: r.batchId, pages: r.newPages }, 'batch ingested');
        else app.log.warn({ folder: r.folder, reason: r.reason }, `batch ${r.outcome}`);
      }
      return results;
    });
    return scanning.finally(() => {
      scanning = null;
    });
  };
  const timer = setInterval(
    () => void scan().catch((err) => app.log.error({ err }, 'inbox scan failed')),
    opts.pollMs ?? 2000,
  );
  if (opts.listen) await app.listen({ port: config.port, host: '0.0.0.0' });
  return {
    app,
    adapters,
    queues,
    inbox,
    scan,
    idle: () => stages?.idle() ?? Promise.resolve(),
    async stop() {
      clearInterval(timer);
      clearInterval(reschedule);
      stopping.abort();
      await scanning;
      // close() waits for every connection; one still sending a refused upload would hold it for minutes.
      const cutOff = setTimeout(() => app.server.closeAllConnections(), STOP_GRACE_MS);
      await app.close();
      clearTimeout(cutOff);
      await queues.close();
      await adapters.close();
    },
  };
}

/**
 * The newcomer's first minute: a demo exam, the bundled sample pages dropped into the inbox as a batch, and
 * an operator, a verifier, a senior verifier, a chair and an administrator with fresh tokens (printed once; only
 * hashes are stored).
 */
export async function seedDemo(service: RunningService): Promise<Record<string, string>> {
  const { db } = service.adapters;
  await registerExam(db, {
    id: DEMO_EXAM,
    kind: 'EGE',
    subjectCode: '02',
    date: '2026-06-01',
    region: '77',
    timeZone: 'Europe/Moscow',
  });
  const users: User[] = [
    { id: 'demo-operator', name: 'Оператор (демо)', role: 'operator' },
    { id: 'demo-verifier', name: 'Верификатор (демо)', role: 'verifier' },
    { id: 'demo-senior', name: 'Старший верификатор (демо)', role: 'senior-verifier' },
    { id: 'demo-chair', name: 'Председатель ПК (демо)', role: 'chair' },
    { id: 'demo-admin', name: 'Администратор РЦОИ (демо)', role: 'admin' },
  ];
  const tokens: Record<string, string> = {};
  for (const u of users) tokens[u.id] = await issueUser(db, u);
  const folder = join(service.inbox, 'sample-batch');
  await mkdir(folder, { recursive: true });
  for (const f of corpusFiles()) await writeFile(join(folder, f.name), f.bytes);
  const manifest: BatchManifest = {
    batch: 'sample-batch',
    station: 'demo-station',
    exam: DEMO_EXAM,
    // What the room's forms would declare: every readable page, by kind (two of the files are broken).
    declared: corpusDeclared(),
  };
  // The manifest last: a folder without it is still being written.
  await writeFile(join(folder, 'batch.json'), JSON.stringify(manifest, null, 1));
  return tokens;
}

/** What became of the demo batch: its report (null when it was ingested before) and the doubts waiting. */
export async function demoOutcome(
  service: RunningService,
  batchId: string | undefined,
): Promise<{ report: BatchReport | null; tasksWaiting: number }> {
  const { db } = service.adapters;
  const report = batchId ? await batchReport(db, shippedForms(), batchId) : null;
  const waiting = (await taskCounts(db)).filter((t) => t.status === 'open' || t.status === 'leased');
  return { report, tasksWaiting: waiting.reduce((n, t) => n + t.n, 0) };
}
