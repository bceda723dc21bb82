/**
 * `rcoi worker`: consumes the stage queues of a deployment (REDIS_URL, DATABASE_URL, S3_*) until SIGTERM or
 * SIGINT, then finishes the jobs in hand and exits. Start as many as there are cores, on as many machines.
 */
import { parseArgs } from 'node:util';
import { shippedForms } from '../forms/definitions.ts';
import { configFromEnv, openAdapters } from '../platform/config.ts';
import { log } from '../platform/log.ts';
import { bullmqQueues, bullmqWorkers, redisConnection } from '../platform/queues.ts';
import { scheduleRecurring, stageHandlers } from '../workers/handlers.ts';
import { recognitionThreads } from '../workers/pool.ts';
import { positiveInt, UsageError } from './usage.ts';

export async function workerCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { concurrency: { type: 'string' } } });
  const concurrency = positiveInt('concurrency', values.concurrency, 1);
  const config = configFromEnv(process.env);
  if (!config.redisUrl || !config.databaseUrl)
    throw new UsageError(
      'worker needs REDIS_URL and DATABASE_URL (the embedded default runs its stages itself)',
    );
  const adapters = await openAdapters(config);
  const forms = shippedForms();
  const connection = redisConnection(config.redisUrl);
  const queues = bullmqQueues(connection, config.queuePrefix);
  // One thread per page in hand: recognition's CPU stays off the event loop that every other stage's
  // transactions wait on (an assembly holds its kit's lock until its last round trip).
  const threads = recognitionThreads(concurrency, forms);
  const handlers = stageHandlers(adapters, forms, queues, { recognise: (p) => threads.run(p) });
  const workers = bullmqWorkers(connection, handlers, {
    prefix: config.queuePrefix,
    // Assembly and routing are a few queries each: they keep up with recognition at a few at a time.
    concurrency: {
      recognise: concurrency,
      assemble: 4,
      route: 4,
      protocol: 2,
      retention: 1,
      results: 1,
      requeue: 1,
    },
    lockDurationMs: config.lockMs,
    onFailed: (stage, jobId, err) => log.warn({ stage, jobId, err: err.message }, 'job failed'),
    onDone: ({ stage, jobId, ms, result }) =>
      log.info({ stage, jobId, ms, ...(stage === 'recognise' && { outcome: result }) }, 'job done'),
  });
  // Redis forgets the recurring jobs when it restarts empty: every worker defines them again now and then.
  const define = () =>
    scheduleRecurring(queues, config.requeueMs).catch((err: Error) =>
      log.warn({ err: err.message }, 'could not define the recurring jobs'),
    );
  await define();
  const reschedule = setInterval(define, config.requeueMs);
  log.info({ prefix: config.queuePrefix, concurrency }, 'worker started');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  clearInterval(reschedule);
  await workers.close();
  await threads.close();
  await queues.close();
  await adapters.close();
  log.info('worker stopped');
  return 0;
}
