/**
 * Participants' results for chairs and administrators: each work's variant, an exam's results computed (again)
 * with what changed, and the results listed. Works are named by work code only.
 */
import * as z from 'zod';
import { endpoint } from './endpoint.ts';

const ExamParams = z.object({ id: z.string().min(1) });

export const TaskMark = z.object({
  part: z.enum(['as1', 'as2']),
  task: z.string(),
  points: z.number(),
  max: z.number(),
});

export const WorkResult = z.object({
  workId: z.string(),
  status: z.enum(['complete', 'incomplete']),
  /** Why an incomplete result is not complete yet. */
  reasons: z.array(
    z.enum([
      'work-incomplete',
      'no-variant',
      'unknown-variant',
      'as1-missing',
      'as1-not-final',
      'checks-pending',
      'appeal-pending',
    ]),
  ),
  variant: z.string().nullable(),
  as1: z.number().nullable(),
  as2: z.number().nullable(),
  primary: z.number().nullable(),
  /** The test score (EGE) or five-point mark (OGE, GVE), by `scale`; null while incomplete. */
  score: z.number().nullable(),
  scale: z.enum(['test-score', 'mark']),
  tasks: z.array(TaskMark),
  /** The digest of the scoring (keys, rules, scale) it was computed under. */
  scoring: z.string(),
});
export type WorkResult = z.infer<typeof WorkResult>;

const Pair = <T extends z.ZodType>(t: T) => z.tuple([t, t]);

/** One work's result before and after a computation. */
export const WorkChange = z.object({
  workId: z.string(),
  scoring: Pair(z.string()),
  status: Pair(z.enum(['complete', 'incomplete'])),
  primary: Pair(z.number().nullable()),
  score: Pair(z.number().nullable()),
  tasks: z.array(
    z.object({ part: z.enum(['as1', 'as2']), task: z.string(), points: Pair(z.number().nullable()) }),
  ),
});

export const Computation = z.object({
  examId: z.string(),
  scoring: z.string(),
  /** Scorings the exam's results had been computed under before (a key or scale changed since). */
  replaced: z.array(z.string()),
  complete: z.number(),
  incomplete: z.number(),
  changes: z.array(WorkChange),
});
export type Computation = z.infer<typeof Computation>;

/** Computes (again) every result of the exam; changes to stored results are answered and audited. */
export const computeResults = endpoint({
  method: 'POST',
  url: '/api/exams/:id/results',
  params: ExamParams,
  answer: Computation,
});

export const listResults = endpoint({
  method: 'GET',
  url: '/api/exams/:id/results',
  params: ExamParams,
  answer: z.array(WorkResult),
});

/** Recomputes every exam whose results a changed key or scale has made stale. */
export const recomputeStale = endpoint({
  method: 'POST',
  url: '/api/results/recompute',
  answer: z.array(Computation),
});

/** The variant (KIM number) a work answered; its AS1 is scored by that variant's key. Audited. */
export const setVariant = endpoint({
  method: 'PUT',
  url: '/api/works/:code/variant',
  params: z.object({ code: z.string().min(1) }),
  body: z.strictObject({ variant: z.string().regex(/^[0-9A-Za-z-]{1,20}$/) }),
  answer: z.object({ workId: z.string(), variant: z.string() }),
});

/** A shipped export layout's name (calibration/exports/<year>/<name>.json). */
const LayoutName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/);

/**
 * An exam's complete results as a file for the regional system or the federal centre, written by the named
 * layout of the exam's year (CSV or XML; its media type and charset in content-type). Rows in `x-rows`,
 * incomplete results left out in `x-withheld`. Audited.
 */
export const exportResults = endpoint({
  method: 'GET',
  url: '/api/exams/:id/results/export',
  params: ExamParams,
  query: z.strictObject({ layout: LayoutName }),
});

/**
 * The results protocols of an exam, one per exam point (`ppe`) or school, as one PDF; only the one whose code
 * is `group` when given. Audited.
 */
export const resultsProtocols = endpoint({
  method: 'GET',
  url: '/api/exams/:id/results/protocols',
  params: ExamParams,
  query: z.strictObject({ by: z.enum(['ppe', 'school']), group: z.string().min(1).max(64).optional() }),
});

/**
 * The exam's publication package for the results service, ZIP: per participant `CODE/results.csv` (the
 * year's publication layout) and the answer sheets' images; one participant's alone with `work`. Audited.
 */
export const publicationPackage = endpoint({
  method: 'GET',
  url: '/api/exams/:id/results/publication',
  params: ExamParams,
  query: z.strictObject({ work: z.string().min(1).max(64).optional() }),
});

const Bin = z.object({ from: z.number(), to: z.number(), count: z.number() });
const Group = z.object({
  group: z.string(),
  size: z.number(),
  mean: z.number(),
  /** Standard errors from the exam's mean: (group mean − exam mean) / (σ / √size); null under the minimum size. */
  z: z.number().nullable(),
  standsOut: z.boolean(),
});

/** When an exam point's or school's mean primary score stands out: at least `minSize` results and |z| ≥ `z`. */
const StandOutQuery = z.strictObject({
  minSize: z.coerce.number().int().min(2).max(10000).default(10),
  z: z.coerce.number().positive().max(100).default(3),
});

export const ExamAnalytics = z.object({
  examId: z.string(),
  /** Complete results the figures are computed from; incomplete ones are left out and counted. */
  complete: z.number(),
  withheld: z.number(),
  scale: z.enum(['test-score', 'mark']).nullable(),
  /** Primary scores by one point, 0 to the subject's maximum. */
  primary: z.array(Bin),
  /** Test scores by ten points (0–100), or five-point marks by one (2–5). */
  score: z.array(Bin),
  tasks: z.array(
    z.object({
      part: z.enum(['as1', 'as2']),
      task: z.string(),
      max: z.number(),
      full: z.number(),
      partial: z.number(),
      zero: z.number(),
    }),
  ),
  rule: z.object({ minSize: z.number(), z: z.number() }),
  ppe: z.array(Group),
  school: z.array(Group),
});
export type ExamAnalytics = z.infer<typeof ExamAnalytics>;

/** An exam's analytics for chairs and the RCOI: distributions, tasks' success, groups standing out. */
export const examAnalytics = endpoint({
  method: 'GET',
  url: '/api/exams/:id/analytics',
  params: ExamParams,
  query: StandOutQuery,
  answer: ExamAnalytics,
});

export const ANALYTICS_FIGURES = ['primary', 'score', 'tasks', 'ppe', 'school'] as const;

/**
 * One figure of an exam's analytics as a file: CSV (the table), SVG (a bar chart: bins' counts, tasks' share
 * of full marks in percent, groups' mean primary scores) or PNG (the same chart rasterised).
 */
export const analyticsFigure = endpoint({
  method: 'GET',
  url: '/api/exams/:id/analytics/:figure',
  params: z.object({ id: z.string().min(1), figure: z.enum(ANALYTICS_FIGURES) }),
  query: StandOutQuery.extend({ format: z.enum(['csv', 'svg', 'png']) }),
});
