/** A worker thread of the recogniser's pool: reads a file, recognises one page, returns the result line. */
import type { FormDefinition } from '../forms/schema.ts';
import type { PageResult } from '../pipeline/page-job.ts';
import { type PageTask, pageTasks } from './recognise-task.ts';
import { serveTasks, threadData } from './thread.ts';

serveTasks<PageTask, PageResult>(pageTasks(threadData<FormDefinition[]>()));
