/** The thread side of `createThreadPool`: answer each task message with its result. */
import { parentPort, workerData } from 'node:worker_threads';

export function threadData<T>(): T {
  return (workerData as { data: T }).data;
}

export function serveTasks<Task, Result>(handle: (task: Task) => Promise<Result>): void {
  parentPort?.on('message', async (msg: { id: number; task: Task }) => {
    parentPort?.postMessage({ id: msg.id, result: await handle(msg.task) });
  });
}
