/** What each stage does, the same in `rcoi worker` processes and in the embedded service. */
import type { FormDefinition } from '../calibration/form-schema.ts';
import type { Queryable } from '../storage/db.ts';
import { assembleKit, kitOfSheet, routeWork } from '../storage/works.ts';
import { jobId, type StageHandlers, type StageQueues } from './queues.ts';
import type { StageDeps } from './stages/ingest.ts';
import { recognisePageStage } from './stages/recognise.ts';
import { sweepRetention } from './stages/retention.ts';

/** Sweeps run hourly, so an object is destroyed within the first hour of its day in every zone. */
export const RETENTION_EVERY_MS = 3_600_000;
/** How often pending pages are queued again, should Redis have lost their jobs. */
export const REQUEUE_EVERY_MS = 60_000;

/** Once a page is final, the work its sheet belongs to is assembled (again). */
export async function queueAssembly(
  db: Queryable,
  queues: Pick<StageQueues, 'add'>,
  pageId: string,
): Promise<void> {
  const [sheet] = await db.query<{ sheet_number: string }>(
    `select sheet_number from sheets where page_id = $1 and status = 'final'`,
    [pageId],
  );
  if (sheet)
    await queues.add('assemble', jobId('sheet', sheet.sheet_number), { sheetNumber: sheet.sheet_number });
}

export function stageHandlers(
  deps: StageDeps,
  forms: FormDefinition[],
  queues: Pick<StageQueues, 'add'>,
): StageHandlers {
  return {
    recognise: async ({ pageId }) => {
      const outcome = await recognisePageStage(deps, forms, pageId);
      if (outcome === 'recognised') await queueAssembly(deps.db, queues, pageId);
      return outcome;
    },
    assemble: async (data) => {
      const kitId = 'kitId' in data ? data.kitId : await kitOfSheet(deps.db, data.sheetNumber);
      if (!kitId) return 'no-kit';
      const work = await deps.db.transaction((tx) => assembleKit(tx, kitId));
      if (work?.status === 'complete') await queues.add('route', jobId('work', work.id), { workId: work.id });
      return work?.status ?? 'no-kit';
    },
    route: ({ workId }) => routeWork(deps.db, workId),
    retention: ({ runBy }) => sweepRetention(deps, new Date(), runBy),
    requeue: async () => {
      const pending = await deps.db.query<{ id: string }>(
        `select id from pages where status = 'pending' order by id`,
      );
      // A job that still exists (waiting, running or dead) keeps its id, so adding it again changes nothing.
      for (const { id } of pending) await queues.add('recognise', id, { pageId: id });
      return pending.length;
    },
  };
}
