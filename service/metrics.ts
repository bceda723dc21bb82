/**
 * Prometheus metrics, computed at scrape time from the queues and the database, so every API process reports
 * the same figures whichever worker did the work: queue depths by stage and state, pages by status,
 * verification tasks by status, works by status and route, and recognition time quantiles over the last hour.
 */
import type { ServiceContext } from '../platform/adapters.ts';
import { STAGES } from '../platform/queues.ts';

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
  const pages = await deps.db.query<{ status: string; n: number }>(
    'select status, count(*)::int as n from pages group by status order by status',
  );
  gauge(
    'rcoi_pages',
    'Pages by status.',
    pages.map((p) => [{ status: p.status }, p.n]),
  );
  const tasks = await deps.db.query<{ status: string; n: number }>(
    'select status, count(*)::int as n from verification_tasks group by status order by status',
  );
  gauge(
    'rcoi_verification_tasks',
    'Verification tasks by status.',
    tasks.map((t) => [{ status: t.status }, t.n]),
  );
  const works = await deps.db.query<{ status: string; route: string | null; n: number }>(
    'select status, route, count(*)::int as n from works group by status, route order by status, route',
  );
  gauge(
    'rcoi_works',
    'Works by assembly status and where they were routed (none: not yet).',
    works.map((w) => [{ status: w.status, route: w.route ?? 'none' }, w.n]),
  );
  const [ms] = await deps.db.query<{ p50: number | null; p95: number | null; n: number }>(
    `select percentile_cont(0.5) within group (order by (recognition->'ms'->>'total')::float) as p50,
            percentile_cont(0.95) within group (order by (recognition->'ms'->>'total')::float) as p95,
            count(*)::int as n
     from pages where recognised_at > now() - interval '1 hour' and recognition->'ms'->>'total' is not null`,
  );
  gauge('rcoi_recognise_ms', 'Recognition time per page over the last hour, by quantile.', [
    [{ quantile: '0.5' }, ms?.p50 ?? 0],
    [{ quantile: '0.95' }, ms?.p95 ?? 0],
  ]);
  gauge('rcoi_recognised_last_hour', 'Pages recognised in the last hour.', [[{}, ms?.n ?? 0]]);
  return `${lines.join('\n')}\n`;
}
