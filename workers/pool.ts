/**
 * A fixed pool of worker threads, each running one TypeScript module that serves tasks (`serveTasks`).
 * Pages, not files, are the recogniser's unit of work, so one long multi-page TIFF still spreads over every
 * core. Results arrive in completion order.
 */
import { Worker } from 'node:worker_threads';

export interface ThreadPool<Task, Result> {
  run(task: Task): Promise<Result>;
  close(): Promise<void>;
}

interface Job<Task, Result> {
  id: number;
  task: Task;
  resolve: (r: Result) => void;
  reject: (e: Error) => void;
}

/** `module` is the URL of a module that calls `serveTasks`; `data` reaches it as workerData.data. */
export function createThreadPool<Task, Result>(
  size: number,
  module: URL,
  data: unknown,
): ThreadPool<Task, Result> {
  const entry = new URL('./thread-entry.js', import.meta.url);
  const idle: Worker[] = [];
  const queue: Job<Task, Result>[] = [];
  const running = new Map<Worker, Job<Task, Result>>();
  let nextId = 0;

  const pump = () => {
    while (idle.length > 0 && queue.length > 0) {
      const worker = idle.pop()!;
      const job = queue.shift()!;
      running.set(worker, job);
      worker.postMessage({ id: job.id, task: job.task });
    }
  };

  const spawn = (): Worker => {
    const w = new Worker(entry, { workerData: { module: module.href, data } });
    w.on('message', (msg: { id: number; result: Result }) => {
      const job = running.get(w);
      running.delete(w);
      idle.push(w);
      job?.resolve(msg.result);
      pump();
    });
    w.on('error', (err) => {
      // A crashed thread fails only the task it held; a fresh thread takes its place.
      const job = running.get(w);
      running.delete(w);
      workers.splice(workers.indexOf(w), 1, spawn());
      job?.reject(err);
    });
    idle.push(w);
    pump();
    return w;
  };
  const workers: Worker[] = [];
  for (let i = 0; i < Math.max(1, size); i++) workers.push(spawn());

  return {
    run(task) {
      return new Promise((resolve, reject) => {
        queue.push({ id: nextId++, task, resolve, reject });
        pump();
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
