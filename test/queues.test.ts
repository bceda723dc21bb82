/** The in-process stage runner of the embedded default: same contract as the BullMQ queues. */
import { describe, expect, it } from 'vitest';
import { inProcessStages, queueRecognition } from '../platform/queues.ts';

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
