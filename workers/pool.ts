/**
 * A fixed pool of worker threads, each running one TypeScript module that serves tasks (`serveTasks`).
 * Pages, not files, are the recogniser's unit of work, so one long multi-page TIFF still spreads over every
 * core. Results arrive in completion order.
 */
import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FormDefinition } from '../forms/schema.ts';
import type { PageResult } from '../pipeline/page-job.ts';
import type { PageTask } from './recognise-task.ts';

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
  let closing = false;

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
    // A thread that crashes (an uncaught error, out of memory) or exits on its own fails only the task it
    // held; a fresh thread takes its place. 'error' is followed by 'exit': the thread is replaced once.
    const lost = (err: Error) => {
      const at = workers.indexOf(w);
      if (at < 0) return;
      workers.splice(at, 1);
      if (idle.includes(w)) idle.splice(idle.indexOf(w), 1);
      const job = running.get(w);
      running.delete(w);
      if (!closing) workers.push(spawn());
      job?.reject(err);
    };
    w.on('error', lost);
    w.on('exit', (code) => lost(new Error(`a recognition thread exited (code ${code})`)));
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
      closing = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/**
 * `size` threads recognising page tasks, each loading the pipeline once, kept for the pool's life. Only types
 * of the pipeline are imported here: a process that recognises in threads never loads it itself.
 */
export function recognitionThreads(size: number, forms: FormDefinition[]): ThreadPool<PageTask, PageResult> {
  // The thread's module in this module's language: .ts in a checkout, .js in the build.
  const module = new URL(`./recognise-thread${extname(import.meta.url)}`, import.meta.url);
  return createThreadPool<PageTask, PageResult>(size, module, forms);
}
