/** The in-process stage runner of the embedded default: same contract as the BullMQ queues. */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bullmqQueues,
  bullmqWorkers,
  inProcessStages,
  queueRecognition,
  redisConnection,
  type StageHandlers,
  type StageQueues,
} from '../platform/queues.ts';
import { testServices } from './services.ts';

describe('in-process stages', () => {
  it('runs each job once, retries a failing one with backoff, and keeps the hopeless as dead letters', async () => {
    const calls = new Map<string, number>();
    let running = 0;
    let most = 0;
    const stages = inProcessStages(
      {
        recognise: async ({ pageId }) => {
          calls.set(pageId, (calls.get(pageId) ?? 0) + 1);
          running++;
          most = Math.max(most, running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
          if (pageId === 'flaky' && calls.get(pageId) === 1) throw new Error('transient');
          if (pageId === 'broken') throw new Error('no page broken');
        },
        assemble: async () => {},
        route: async () => {},
        protocol: async () => {},
        retention: async () => {},
        results: async () => {},
        requeue: async () => {},
      },
      2,
      { attempts: 3, backoffMs: 5 },
    );
    await stages.addMany(
      'recognise',
      ['a', 'b', 'c', 'flaky', 'broken'].map((id) => ({ jobId: id, data: { pageId: id } })),
    );
    await stages.add('recognise', 'a', { pageId: 'a' });
    await stages.addMany('recognise', [{ jobId: 'b', data: { pageId: 'b' } }]);
    await stages.idle();
    expect(Object.fromEntries(calls)).toEqual({ a: 1, b: 1, c: 1, flaky: 2, broken: 3 });
    expect(most).toBe(2);
    expect(await stages.deadLetters('recognise')).toEqual([
      { jobId: 'broken', reason: 'no page broken', attempts: 3 },
    ]);
    expect(await stages.counts('recognise')).toEqual({ waiting: 0, active: 0, failed: 1, completed: 4 });
    await stages.close();
  });
});

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

/** Stage handlers that do nothing but `assemble`. */
function assembling(assemble: StageHandlers['assemble']): StageHandlers {
  const nothing = async () => {};
  return {
    recognise: nothing,
    assemble,
    route: nothing,
    protocol: nothing,
    retention: nothing,
    results: nothing,
    requeue: nothing,
  };
}

const IMPLEMENTATIONS: [string, (h: StageHandlers) => StageQueues][] = [
  ['in this process', (h) => inProcessStages(h, 1)],
  [
    'BullMQ on Redis',
    (h) => {
      const connection = redisConnection(testServices().redisUrl);
      const prefix = `t-again-${randomBytes(4).toString('hex')}`;
      const queues = bullmqQueues(connection, prefix);
      const workers = bullmqWorkers(connection, h, { prefix, concurrency: { assemble: 1 } });
      closers.push(
        () => workers.close(),
        () => queues.close(),
      );
      return queues;
    },
  ],
];

describe.each(IMPLEMENTATIONS)('again, %s', (_name, make) => {
  it('runs a key once for every call while it waits, and once more for every call while it runs', async () => {
    const runs: string[] = [];
    let started = () => {};
    const running = new Promise<void>((r) => {
      started = r;
    });
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const queues = make(
      assembling(async ({ kitId }) => {
        runs.push(kitId);
        if (runs.length === 1) {
          started();
          await gate;
        }
      }),
    );
    closers.push(() => queues.close());
    const ranAll = async (...kits: string[]) => {
      for (let waited = 0; !kits.every((k) => runs.includes(k)); waited += 20) {
        if (waited > 20_000) throw new Error(`ran ${runs.join(', ')}, not yet ${kits.join(', ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await queues.again('assemble', 'K', { kitId: 'K-a' });
    await running;
    // K runs: two more calls make one more run, with the last call's data.
    await queues.again('assemble', 'K', { kitId: 'K-b' });
    await queues.again('assemble', 'K', { kitId: 'K-c' });
    // One run at a time: L's first run waits behind K's, and the calls meanwhile add nothing.
    await queues.again('assemble', 'L', { kitId: 'L-a' });
    await queues.again('assemble', 'L', { kitId: 'L-b' });
    release();
    await ranAll('K-c', 'L-a');
    // Done with, a key runs again: and runs in order, so nothing else was left queued before it.
    await queues.again('assemble', 'K', { kitId: 'K-d' });
    await ranAll('K-d');
    expect(runs).toEqual(['K-a', 'L-a', 'K-c', 'K-d']);
  });
});

describe('queueRecognition', () => {
  it.each([
    [0, []],
    [1, [1]],
    [1000, [1000]],
    [2500, [1000, 1000, 500]],
  ])('queues %i pages in calls of %j, each page once, in order', async (pages, calls) => {
    const seen: string[][] = [];
    const ids = Array.from({ length: pages }, (_, i) => `page-${i}`);
    await queueRecognition(
      {
        addMany: async (stage, jobs) => {
          expect(stage).toBe('recognise');
          seen.push(jobs.map((j) => (j.data as { pageId: string }).pageId));
          expect(jobs.map((j) => j.jobId)).toEqual(seen.at(-1));
        },
      },
      ids,
    );
    expect(seen.map((c) => c.length)).toEqual(calls);
    expect(seen.flat()).toEqual(ids);
  });
});
