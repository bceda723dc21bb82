/**
 * The thread pool `rcoi recognise` and `rcoi worker` read pages in: a thread that crashes or exits fails only
 * the task it held, is replaced, and the pool keeps serving at its size.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createThreadPool } from '../workers/pool.ts';
import type { PoolTask } from './fixtures/pool-thread.ts';

const pool = createThreadPool<PoolTask, number>(
  2,
  new URL('./fixtures/pool-thread.ts', import.meta.url),
  null,
);
afterAll(() => pool.close());

const doubles = (from: number, n: number) =>
  Promise.all(Array.from({ length: n }, (_, i) => pool.run({ op: 'double', n: from + i })));

describe('the thread pool', () => {
  it('answers every task, spread over its threads', async () => {
    await expect(doubles(1, 20)).resolves.toEqual(Array.from({ length: 20 }, (_, i) => 2 * (i + 1)));
  });

  it('fails only the task of a thread that crashed, and goes on with a fresh one', async () => {
    const [crashed, ...rest] = await Promise.allSettled([pool.run({ op: 'throw' }), doubles(100, 6)]);
    expect(crashed).toMatchObject({
      status: 'rejected',
      reason: { message: 'a page the thread could not survive' },
    });
    expect(rest).toEqual([{ status: 'fulfilled', value: [200, 202, 204, 206, 208, 210] }]);
    await expect(doubles(1, 4)).resolves.toEqual([2, 4, 6, 8]);
  });

  it('fails the task of a thread that exits on its own instead of waiting for it forever', async () => {
    await expect(pool.run({ op: 'exit' })).rejects.toThrow(/thread exited \(code 3\)/);
    await expect(pool.run({ op: 'exit' })).rejects.toThrow(/thread exited \(code 3\)/);
    // Both threads were replaced: the pool still answers, on two threads at once.
    await expect(doubles(1, 8)).resolves.toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
  });
});
