/** What each stage does, the same in `rcoi worker` processes and in the embedded service. */
import type { FormDefinition } from '../calibration/form-schema.ts';
import type { StageHandlers } from './queues.ts';
import type { StageDeps } from './stages/ingest.ts';
import { recognisePageStage } from './stages/recognise.ts';
import { sweepRetention } from './stages/retention.ts';

/** Sweeps run hourly, so an object is destroyed within the first hour of its day in every zone. */
export const RETENTION_EVERY_MS = 3_600_000;

export function stageHandlers(deps: StageDeps, forms: FormDefinition[]): StageHandlers {
  return {
    recognise: ({ pageId }) => recognisePageStage(deps, forms, pageId),
    retention: ({ runBy }) => sweepRetention(deps, new Date(), runBy),
  };
}
