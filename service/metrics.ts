/**
 * Prometheus metrics, computed at scrape time from the queues and the database, so every API process reports
 * the same figures whichever worker did the work: queue depths by stage and state, pages by status,
 * verification tasks by status, the control sample's silent errors, works by status and route, recognition
 * time quantiles over the last hour, and the regulation's clock: appeal steps overdue and done late, checks
 * overdue per exam (alerts fire on these).
 */
import { allAppealSteps, overdueChecks } from '../checking/store.ts';
import type { ServiceContext } from '../platform/adapters.ts';
import { STAGES } from '../platform/queues.ts';
import { pageCounts, recentRecognitionTimes } from '../recognition/store.ts';
import { controlCounts, taskCounts } from '../verification/store.ts';
import { workCounts } from '../works/store.ts';

type Samples = [Record<string, string>, number][];

/** Samples per step of the appeal steps in `state`, with every step seen listed (zero included). */
function stepSamples(steps: { step: string; state: string }[], state: string): Samples {
  const n = new Map<string, number>();
  for (const s of steps) n.set(s.step, (n.get(s.step) ?? 0) + (s.state === state ? 1 : 0));
  return [...n].map(([step, count]) => [{ step }, count]);
}

export async function metricsText(
  deps: Pick<ServiceContext, 'db' | 'queues'>,
  now = new Date(),
): Promise<string> {
  const lines: string[] = [];
  const metric = (type: 'gauge' | 'counter', name: string, help: string, samples: Samples) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
        .join(',');
      lines.push(`${name}${l ? `{${l}}` : ''} ${value}`);
    }
  };
  const gauge = (name: string, help: string, samples: Samples) => metric('gauge', name, help, samples);
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
  const control = await controlCounts(deps.db);
  gauge(
    'rcoi_control_sample',
    'Answers read without doubt and verified all the same, by form and state (corrected: silent errors).',
    control.flatMap((c) => [
      [{ form: c.form, state: 'sampled' }, c.sampled] as [Record<string, string>, number],
      [{ form: c.form, state: 'decided' }, c.decided],
      [{ form: c.form, state: 'corrected' }, c.corrected],
    ]),
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
  const steps = await allAppealSteps(deps.db, now);
  gauge(
    'rcoi_appeal_steps_overdue',
    'Appeal steps past their due day by the regulation and not done, by step.',
    stepSamples(steps, 'overdue'),
  );
  // Done steps stay recorded, so the count only grows: a counter.
  metric(
    'counter',
    'rcoi_appeal_steps_late_total',
    'Appeal steps done after their due day, by step.',
    stepSamples(steps, 'late'),
  );
  gauge(
    'rcoi_checks_overdue',
    'First and second checks past their due day (own or default processing deadline), by exam.',
    (await overdueChecks(deps.db, now)).map((e) => [{ exam: e.examId }, e.overdueChecks]),
  );
  return `${lines.join('\n')}\n`;
}
