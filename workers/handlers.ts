/** What each stage does, the same in `rcoi worker` processes and in the embedded service. */
import type { FormDefinition } from '../calibration/form-schema.ts';
import type { StageHandlers, StageQueues } from './queues.ts';
import type { StageDeps } from './stages/ingest.ts';
import { recognisePageStage } from './stages/recognise.ts';
import { sweepRetention } from './stages/retention.ts';

/** Sweeps run hourly, so an object is destroyed within the first hour of its day in every zone. */
export const RETENTION_EVERY_MS = 3_600_000;
/** How often pending pages are queued again, should Redis have lost their jobs. */
export const REQUEUE_EVERY_MS = 60_000;

export function stageHandlers(
  deps: StageDeps,
  forms: FormDefinition[],
  queues: Pick<StageQueues, 'add'>,
): StageHandlers {
  return {
    recognise: ({ pageId }) => recognisePageStage(deps, forms, pageId),
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
