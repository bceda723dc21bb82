/** A worker thread of the recogniser's pool: reads a file, recognises one page, returns the result line. */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { FormDefinition } from '../forms/schema.ts';
import { type PageResult, recogniseFilePage } from '../pipeline/page-job.ts';
import { serveTasks, threadData } from './thread.ts';

export interface PageTask {
  path: string;
  page: number;
}

// One libvips thread per worker: the pool already spreads pages over the cores. No operation cache: every
// page is new, and the cache only holds decoded pages in memory.
sharp.concurrency(1);
sharp.cache(false);
const forms = threadData<FormDefinition[]>();

serveTasks<PageTask, PageResult>((task) =>
  recogniseFilePage(task.path, () => readFile(task.path), task.page, forms),
);
