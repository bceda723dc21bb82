/**
 * Prometheus metrics, computed at scrape time from the queues and the database, so every API process reports
 * the same figures whichever worker did the work: queue depths by stage and state, pages by status,
 * verification tasks by status, works by status and route, and recognition time quantiles over the last hour.
 */
import type { ServiceContext } from '../platform/adapters.ts';
import { STAGES } from '../platform/queues.ts';
import { pageCounts, recentRecognitionTimes } from '../recognition/store.ts';
import { taskCounts } from '../verification/store.ts';
import { workCounts } from '../works/store.ts';

export async function metricsText(deps: Pick<ServiceContext, 'db' | 'queues'>): Promise<string> {
  const lines: string[] = [];
  const gauge = (name: string, help: string, samples: [Record<string, string>, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
        .join(',');
      lines.push(`${name}${l ? `{${l}}` : ''} ${value}`);
    }
  };
  const queue: [Record<string, string>, number][] = [];
  for (const stage of STAGES) {
    const c = await deps.queues.counts(stage);
    for (const [state, n] of Object.entries(c)) queue.push([{ stage, state }, n]);
  }
  gauge('rcoi_queue_jobs', 'Jobs per stage queue and state (failed = dead letters).', queue);
  const pages = await pageCounts(deps.db);
  gauge(
    'rcoi_pages',
    'Pages by status.',
    pages.map((p) => [{ status: p.status }, p.n]),
  );
  const tasks = await taskCounts(deps.db);
  gauge(
    'rcoi_verification_tasks',
    'Verification tasks by status.',
    tasks.map((t) => [{ status: t.status }, t.n]),
  );
  const works = await workCounts(deps.db);
  gauge(
    'rcoi_works',
    'Works by assembly status and where they were routed (none: not yet).',
    works.map((w) => [{ status: w.status, route: w.route ?? 'none' }, w.n]),
  );
  const ms = await recentRecognitionTimes(deps.db);
  gauge('rcoi_recognise_ms', 'Recognition time per page over the last hour, by quantile.', [
    [{ quantile: '0.5' }, ms.p50 ?? 0],
    [{ quantile: '0.95' }, ms.p95 ?? 0],
  ]);
  gauge('rcoi_recognised_last_hour', 'Pages recognised in the last hour.', [[{}, ms.n]]);
  return `${lines.join('\n')}\n`;
}
