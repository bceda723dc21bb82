/** What each stage does, the same in `rcoi worker` processes and in the embedded service. */

import { takeProtocol } from '../checking/protocols.ts';
import { openChecks, shippedRules } from '../checking/store.ts';
import type { RulesOf } from '../domain/checking.ts';
import type { FormDefinition } from '../forms/schema.ts';
import type { Adapters } from '../platform/adapters.ts';
import type { Queryable } from '../platform/db.ts';
import { jobId, queueRecognition, type StageHandlers, type StageQueues } from '../platform/queues.ts';
import { type PageRecogniser, recognisePageStage } from '../recognition/stage.ts';
import { pendingPages } from '../recognition/store.ts';
import { shippedBasis } from '../results/basis.ts';
import { recomputeStale } from '../results/store.ts';
import { sweepRetention } from '../retention/stage.ts';
import { queueAssembly, queueFollowUp } from '../works/follow-up.ts';
import { assembleKit, kitsToReassemble, routeWork, unroutedWorks } from '../works/store.ts';

/** Sweeps run hourly, so an object is destroyed within the first hour of its day in every zone. */
export const RETENTION_EVERY_MS = 3_600_000;
/**
 * Results computed under a key or scale since changed are recomputed hourly, and at once when a process
 * starts (the recurring jobs' first run): a corrected key ships with a deployment.
 */
export const RESULTS_EVERY_MS = 3_600_000;
/** How often pending pages are queued again, should Redis have lost their jobs. */
export const REQUEUE_EVERY_MS = 60_000;

/** What the requeue pass needs of the queues. */
export type RequeueTarget = Pick<StageQueues, 'add' | 'again' | 'addMany' | 'retryDead' | 'counts'>;

/**
 * Queues again what Redis may have lost: pages still pending (and retries their dead jobs), kits with a sheet
 * that changed after their last assembly, complete works not yet routed. A job that still exists (waiting,
 * running or dead) keeps its id, so adding it again changes nothing; a kit's assembly already waiting takes
 * this one's place.
 */
async function requeueLost(db: Queryable, queues: RequeueTarget) {
  const pending = await pendingPages(db);
  // While the queue holds at least as many live jobs as there are pending pages, Redis has lost nothing:
  // one count instead of a call per page every pass. Redis restarting empty leaves it short.
  const live = await queues.counts('recognise');
  if (live.waiting + live.active < pending.length) await queueRecognition(queues, pending);
  // A page whose job died (its attempts spent while the database was down, say) is not done: it gets
  // another round. A page that cannot be read is rejected, not failed, so only outages and bugs land here.
  const retried = await queues.retryDead('recognise', pending);
  const kits = await kitsToReassemble(db);
  await queueAssembly(queues, kits);
  const works = await unroutedWorks(db);
  for (const id of works) await queues.add('route', jobId('work', id), { workId: id });
  return { pages: pending.length, retried, kits: kits.length, works: works.length };
}

/**
 * The deployment's recurring jobs. Redis keeps their schedules and forgets them if it restarts empty, so
 * every process defines them again at start and then every `requeueMs` (an upsert: one schedule however
 * many processes ask).
 */
export async function scheduleRecurring(queues: StageQueues, requeueMs = REQUEUE_EVERY_MS): Promise<void> {
  await queues.schedule('retention', 'retention-hourly', RETENTION_EVERY_MS, { runBy: 'retention-sweeper' });
  await queues.schedule('results', 'results-hourly', RESULTS_EVERY_MS, { runBy: 'results-recompute' });
  await queues.schedule('requeue', 'requeue-pending', requeueMs, {});
}

export function stageHandlers(
  deps: Adapters,
  forms: FormDefinition[],
  queues: RequeueTarget,
  opts: {
    rulesOf?: RulesOf;
    /** Where pages are read: the stage's own thread unless given (`rcoi worker`'s threads). */
    recognise?: PageRecogniser;
  } = {},
): StageHandlers {
  const { rulesOf = shippedRules(), recognise } = opts;
  const basis = shippedBasis({ rules: rulesOf });
  return {
    recognise: async ({ pageId }) => {
      const outcome = await recognisePageStage(deps, forms, pageId, recognise);
      if (outcome === 'recognised') await queueFollowUp(deps.db, queues, pageId);
      return outcome;
    },
    assemble: async ({ kitId }) => {
      const work = await deps.db.transaction((tx) => assembleKit(tx, forms, kitId));
      if (work?.status === 'complete') await queues.add('route', jobId('work', work.id), { workId: work.id });
      return work?.status ?? 'no-kit';
    },
    // Routed and its checks opened in one transaction: a routed work always has its checks.
    route: ({ workId }) =>
      deps.db.transaction(async (tx) => {
        const route = await routeWork(tx, workId);
        if (route) await openChecks(tx, rulesOf, workId, route);
        return route;
      }),
    protocol: async ({ sheetNumber }) => (await takeProtocol(deps.db, rulesOf, sheetNumber)).status,
    retention: ({ runBy }) => sweepRetention(deps, new Date(), runBy),
    results: async ({ runBy }) =>
      (await recomputeStale(deps.db, basis, runBy)).map((c) => ({
        exam: c.examId,
        changed: c.changes.length,
      })),
    requeue: () => requeueLost(deps.db, queues),
  };
}
