/** The recogniser's unit of work, one page of a file, as a worker thread or a lone job's process runs it. */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { FormDefinition } from '../forms/schema.ts';
import { prepareReader } from '../pipeline/barcodes.ts';
import {
  type PageBytes,
  type PageResult,
  recogniseFilePage,
  recognisePageBytes,
} from '../pipeline/page-job.ts';

/** A page of a file on disk (the CLI's), or of one whose bytes came with the task (a stage worker's scan). */
export type PageTask = { path: string; page: number } | PageBytes;

/**
 * One libvips thread per job: the jobs already spread pages over the cores. No operation cache: every page is
 * new, and the cache only holds decoded pages in memory.
 */
export function pageTasks(forms: FormDefinition[]): (task: PageTask) => Promise<PageResult> {
  sharp.concurrency(1);
  sharp.cache(false);
  // A failure to load the reader shows at the first read that needs it.
  if (forms.some((f) => f.barcodes.length > 0)) prepareReader().catch(() => undefined);
  return (task) =>
    'path' in task
      ? recogniseFilePage(task.path, () => readFile(task.path), task.page, forms)
      : recognisePageBytes(task, forms);
}
