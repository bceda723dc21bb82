/**
 * Expert checking rules as data (calibration/checking/<year>/<exam>-<subject>.json) and the pure decisions
 * made from them: is a third check due for two experts' scores (and on which tasks), and what is the result.
 * Every shape of "significant discrepancy" in the domain brief is a trigger kind; a subject lists the ones
 * its criteria define, and any one firing makes the third check due.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as z from 'zod';
import { fileGradeProblem, GRADE } from '../forms/subject-files.ts';

const CriterionSchema = z.strictObject({
  /** Unique in the subject, e.g. "27.K1", or the task number where a task has one criterion. */
  id: z.string().min(1).max(20),
  max: z.number().int().min(1).max(100),
  title: z.string().optional(),
  /** The marking scheme for this criterion: what earns each number of points, shown beside the script. */
  scheme: z.array(z.strictObject({ points: z.number().int().min(0), text: z.string().min(1) })).optional(),
});

const TaskSchema = z.strictObject({
  task: z.string().min(1).max(10),
  criteria: z.array(CriterionSchema).min(1),
});

const TriggerSchema = z.discriminatedUnion('kind', [
  /** A difference of `atLeast` points or more on any one task; the third expert checks only those tasks. */
  z.strictObject({ kind: z.literal('task-difference'), atLeast: z.number().int().min(1) }),
  /** A difference of `atLeast` or more in the total of all criteria; the whole work is checked again. */
  z.strictObject({ kind: z.literal('total-difference'), atLeast: z.number().int().min(1) }),
  /** A difference of `atLeast` or more on one named criterion (spelling, punctuation). */
  z.strictObject({
    kind: z.literal('criterion-difference'),
    criterion: z.string().min(1),
    atLeast: z.number().int().min(1),
  }),
  /** The experts disagree on `atLeast` criteria or more. */
  z.strictObject({ kind: z.literal('criteria-disagreement'), atLeast: z.number().int().min(1) }),
  /** One expert gave 0 on a gating criterion (one that zeroes others) and the other did not. */
  z.strictObject({ kind: z.literal('gating-zero'), criterion: z.string().min(1) }),
]);
export type ThirdCheckTrigger = z.infer<typeof TriggerSchema>;

const CombineSchema = z.strictObject({
  /** Each criterion's result is the mean of the two experts' points, rounded this way. */
  kind: z.literal('mean'),
  rounding: z.enum(['up', 'down', 'half-up']),
});

export const SubjectRulesSchema = z
  .strictObject({
    year: z.number().int().min(2000).max(2100),
    exam: z.enum(['EGE', 'OGE', 'GVE']),
    /** The subject's code in the exam schedule (the forms' subject_code). */
    subjectCode: z.string().regex(/^\d{2}$/),
    /** GVE only: the grade whose exam these rules are (9 or 11). */
    grade: GRADE.optional(),
    subject: z.string().min(1),
    /** The subject as staff name it (Russian), for lists of exams. */
    subjectName: z.string().min(1).optional(),
    /** Example rules stand in until the year's official criteria replace them. */
    example: z.boolean(),
    basis: z.string().min(1),
    /** The subject-commission statistics table this subject is judged by (domain brief). */
    standardsSubject: z.string().min(1),
    tasks: z.array(TaskSchema).min(1),
    thirdCheck: z.array(TriggerSchema).min(1),
    combine: CombineSchema,
  })
  .superRefine((v, ctx) => {
    const grade = fileGradeProblem(v);
    if (grade) ctx.addIssue({ code: 'custom', path: ['grade'], message: grade });
    const ids = v.tasks.flatMap((t) => t.criteria.map((c) => c.id));
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) ctx.addIssue({ code: 'custom', path: ['tasks'], message: `criterion ${id} twice` });
      seen.add(id);
    }
    for (const c of v.tasks.flatMap((t) => t.criteria))
      for (const level of c.scheme ?? [])
        if (level.points > c.max)
          ctx.addIssue({
            code: 'custom',
            path: ['tasks'],
            message: `criterion ${c.id}: the scheme gives ${level.points} points, over its ${c.max}`,
          });
    const tasks = v.tasks.map((t) => t.task);
    if (new Set(tasks).size !== tasks.length)
      ctx.addIssue({ code: 'custom', path: ['tasks'], message: 'a task listed twice' });
    for (const [i, t] of v.thirdCheck.entries()) {
      if ('criterion' in t && !seen.has(t.criterion))
        ctx.addIssue({
          code: 'custom',
          path: ['thirdCheck', i, 'criterion'],
          message: `no criterion ${t.criterion}`,
        });
    }
  });
export type SubjectRules = z.infer<typeof SubjectRulesSchema>;

/** Points per criterion id. */
export type Scores = Record<string, number>;

export class ScoreError extends Error {}

/** Every criterion scored (a draft's: any), each a whole number from 0 to its maximum; nothing else. */
export function checkScores(
  rules: SubjectRules,
  scores: Scores,
  tasks?: readonly string[],
  opts: { partial?: boolean } = {},
): void {
  const wanted = rules.tasks.filter((t) => !tasks || tasks.includes(t.task)).flatMap((t) => t.criteria);
  const problems: string[] = [];
  for (const c of wanted) {
    const v = scores[c.id];
    // A draft may leave criteria unscored; a submission may not.
    if (v === undefined) {
      if (!opts.partial) problems.push(`${c.id}: no score`);
    } else if (!Number.isInteger(v) || v < 0 || v > c.max) problems.push(`${c.id}: ${v} is not 0..${c.max}`);
  }
  const known = new Set(wanted.map((c) => c.id));
  for (const id of Object.keys(scores)) if (!known.has(id)) problems.push(`${id}: not a criterion here`);
  if (problems.length > 0) throw new ScoreError(problems.join('; '));
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

export function taskTotal(rules: SubjectRules, scores: Scores, task: string): number {
  const t = rules.tasks.find((x) => x.task === task);
  return sum((t?.criteria ?? []).map((c) => scores[c.id] ?? 0));
}

export function total(rules: SubjectRules, scores: Scores): number {
  return sum(rules.tasks.map((t) => taskTotal(rules, scores, t.task)));
}

export type ThirdCheckDecision =
  | { due: false }
  | {
      due: true;
      /** What fired, in words a chair reads. */
      reasons: string[];
      /** The tasks the third expert checks. */
      tasks: string[];
    };

/** Whether two experts' scores diverge significantly by the subject's rules, and on which tasks. */
export function thirdCheckDecision(rules: SubjectRules, first: Scores, second: Scores): ThirdCheckDecision {
  const reasons: string[] = [];
  const tasks = new Set<string>();
  const all = rules.tasks.map((t) => t.task);
  const criteria = rules.tasks.flatMap((t) => t.criteria);
  const wholeWork = () => {
    for (const t of all) tasks.add(t);
  };
  for (const trigger of rules.thirdCheck) {
    switch (trigger.kind) {
      case 'task-difference':
        for (const t of all) {
          const d = Math.abs(taskTotal(rules, first, t) - taskTotal(rules, second, t));
          if (d >= trigger.atLeast) {
            reasons.push(`task ${t}: scores differ by ${d}`);
            tasks.add(t);
          }
        }
        break;
      case 'total-difference': {
        const d = Math.abs(total(rules, first) - total(rules, second));
        if (d >= trigger.atLeast) {
          reasons.push(`totals differ by ${d}`);
          wholeWork();
        }
        break;
      }
      case 'criterion-difference': {
        const d = Math.abs((first[trigger.criterion] ?? 0) - (second[trigger.criterion] ?? 0));
        if (d >= trigger.atLeast) {
          reasons.push(`criterion ${trigger.criterion}: scores differ by ${d}`);
          wholeWork();
        }
        break;
      }
      case 'criteria-disagreement': {
        const n = criteria.filter((c) => (first[c.id] ?? 0) !== (second[c.id] ?? 0)).length;
        if (n >= trigger.atLeast) {
          reasons.push(`the experts disagree on ${n} criteria`);
          wholeWork();
        }
        break;
      }
      case 'gating-zero':
        if (((first[trigger.criterion] ?? 0) === 0) !== ((second[trigger.criterion] ?? 0) === 0)) {
          reasons.push(`criterion ${trigger.criterion}: 0 from one expert only`);
          wholeWork();
        }
        break;
    }
  }
  if (reasons.length === 0) return { due: false };
  return { due: true, reasons, tasks: all.filter((t) => tasks.has(t)) };
}

function round(x: number, rounding: SubjectRules['combine']['rounding']): number {
  // Means of two whole numbers are whole or end in .5: no floating-point doubt in these roundings.
  if (rounding === 'up') return Math.ceil(x);
  if (rounding === 'down') return Math.floor(x);
  return Math.floor(x + 0.5);
}

/**
 * The work's result: the third expert's points for the tasks they checked, the two experts' scores combined
 * by the subject's rule for the rest.
 */
export function resultScores(
  rules: SubjectRules,
  first: Scores,
  second: Scores,
  third?: { scores: Scores; tasks: readonly string[] },
): Scores {
  const out: Scores = {};
  for (const t of rules.tasks) {
    const byThird = third?.tasks.includes(t.task);
    for (const c of t.criteria) {
      const points = byThird
        ? third!.scores[c.id]
        : round(((first[c.id] ?? 0) + (second[c.id] ?? 0)) / 2, rules.combine.rounding);
      if (points === undefined) throw new ScoreError(`${c.id}: no score from the third expert`);
      out[c.id] = points;
    }
  }
  return out;
}

/**
 * Whose fault a third check was: an expert whose points on any task the third expert checked differ from
 * the third expert's (both, when the third agrees with neither).
 */
export function thirdCheckFault(
  rules: SubjectRules,
  first: Scores,
  second: Scores,
  third: { scores: Scores; tasks: readonly string[] },
): { first: boolean; second: boolean } {
  const differs = (scores: Scores) =>
    third.tasks.some((t) => taskTotal(rules, scores, t) !== taskTotal(rules, third.scores, t));
  return { first: differs(first), second: differs(second) };
}

const RULES_DIR = new URL('../calibration/checking/', import.meta.url);

function readJson(file: URL, name: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${name}: ${(err as Error).message}`);
  }
}

function issuesOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('\n  ');
}

/** Every rule set shipped for a year, validated; a file that does not validate is an error naming it. */
export function loadSubjectRules(year: number): SubjectRules[] {
  const dir = new URL(`${year}/`, RULES_DIR);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json') && n !== 'standards.json');
  } catch {
    throw new Error(`no checking rules for ${year} (calibration/checking/${year}/)`);
  }
  return names.sort().map((name) => {
    const parsed = SubjectRulesSchema.safeParse(readJson(new URL(name, dir), `checking/${year}/${name}`));
    if (!parsed.success) throw new Error(`checking/${year}/${name}:\n  ${issuesOf(parsed.error)}`);
    const expected = `${parsed.data.exam.toLowerCase()}-${parsed.data.subject}.json`;
    if (name !== expected) throw new Error(`checking/${year}/${name} declares ${expected}`);
    if (parsed.data.year !== year)
      throw new Error(`checking/${year}/${name} declares year ${parsed.data.year}`);
    return parsed.data;
  });
}

export const EXPERT_STATUSES = ['leading', 'senior', 'main'] as const;
export type ExpertStatus = (typeof EXPERT_STATUSES)[number];

const Shares = z.strictObject({ leading: z.number(), senior: z.number(), main: z.number() });

/** The yearly standards experts are held to, per subject (domain brief's tables), as data. */
export const ExpertStandardsSchema = z.strictObject({
  year: z.number().int(),
  basis: z.string().min(1),
  /** Minimum share of works not sent to a third check through the expert's fault. */
  consistency: z.record(z.string(), Shares),
  /** Maximum share of upheld score appeals on the expert's works. */
  upheldAppeals: Shares,
  /** Minimum share of the expert's scores matching reference scores. */
  qualification: z.record(z.string(), Shares),
});
export type ExpertStandards = z.infer<typeof ExpertStandardsSchema>;

export function loadExpertStandards(year: number): ExpertStandards {
  const file = new URL(`${year}/standards.json`, RULES_DIR);
  const parsed = ExpertStandardsSchema.safeParse(readJson(file, `checking/${year}/standards.json`));
  if (!parsed.success) throw new Error(`checking/${year}/standards.json:\n  ${issuesOf(parsed.error)}`);
  return parsed.data;
}

export interface ExpertRecord {
  /** Works the expert checked in first or second checks. */
  checked: number;
  /** Of those, works sent to a third check where the third expert did not confirm this expert's scores. */
  thirdByFault: number;
  /** Score appeals heard on the expert's works, and how many of them were upheld. */
  appealed: number;
  appealsUpheld: number;
  /** Reference works: criteria scored, and how many matched the reference scores. */
  referenceScored: number;
  referenceMatched: number;
}

export interface ExpertStanding {
  consistency: number | null;
  upheldAppealShare: number | null;
  referenceAgreement: number | null;
  /** The highest status every measured figure qualifies for; null when none does or nothing was checked. */
  qualifiesFor: ExpertStatus | null;
}

/** An expert's figures for the year against the standards of their subject. Shares are 0..1. */
export function expertStanding(
  standards: ExpertStandards,
  standardsSubject: string,
  r: ExpertRecord,
): ExpertStanding {
  const cons = standards.consistency[standardsSubject];
  const qual = standards.qualification[standardsSubject];
  if (!cons || !qual)
    throw new Error(`no expert standards for subject "${standardsSubject}" in ${standards.year}`);
  const consistent = r.checked - r.thirdByFault;
  // Compared as counts (a * 100 >= pct * b), so exactly 93% is 93% and not 92.999…%.
  const meets = (s: ExpertStatus) =>
    consistent * 100 >= cons[s] * r.checked &&
    (r.appealed === 0 || r.appealsUpheld * 100 <= standards.upheldAppeals[s] * r.appealed) &&
    (r.referenceScored === 0 || r.referenceMatched * 100 >= qual[s] * r.referenceScored);
  return {
    consistency: r.checked > 0 ? consistent / r.checked : null,
    upheldAppealShare: r.appealed > 0 ? r.appealsUpheld / r.appealed : null,
    referenceAgreement: r.referenceScored > 0 ? r.referenceMatched / r.referenceScored : null,
    qualifiesFor: r.checked > 0 ? (EXPERT_STATUSES.find(meets) ?? null) : null,
  };
}

export interface ExamKey {
  year: number;
  kind: string;
  subjectCode: string;
  /** GVE's grade where the exam names it: a file of the other grade is not the exam's. */
  grade?: number | null;
}

/** A subject file's header as far as choosing it goes. */
interface SubjectOf {
  exam: string;
  subjectCode: string;
  grade?: number;
}

/**
 * Whether a subject file (checking rules, scoring, answer types) is the exam's: its kind and subject code, and
 * its grade where both name one, so GVE-9 and GVE-11 may share a subject code and still have their own files.
 */
export const fileOfExam = (file: SubjectOf, exam: ExamKey): boolean =>
  file.exam === exam.kind &&
  file.subjectCode === exam.subjectCode &&
  (file.grade === undefined || exam.grade == null || file.grade === exam.grade);

/** The exam as a person names it in a message: `GVE-9 subject 02`, `EGE subject 02`. */
export const examLabel = (exam: ExamKey): string =>
  `${exam.kind}${exam.kind === 'GVE' && exam.grade ? `-${exam.grade}` : ''} subject ${exam.subjectCode}`;

/** The rule set of an exam's subject; a subject without rules is an error. */
export type RulesOf = (exam: ExamKey) => SubjectRules;

/** The rounds a work's checks go through: screening of a blank AS2, two experts, a third, an appeal's re-check. */
export const ROUNDS = ['screening', 'first', 'second', 'third', 'appeal'] as const;
export type Round = (typeof ROUNDS)[number];

export const CONFLICTS = ['none', 'declared', 'cleared', 'barred'] as const;
/** An expert's declared conflict of interest: only none or a cleared one lets them check. */
export type Conflict = (typeof CONFLICTS)[number];

/** What is known of an expert in an exam's year and subject, for what they may take (null: not registered). */
export interface ExpertFacts {
  status: ExpertStatus;
  trained: boolean;
  qualified: boolean;
  briefed: boolean;
  seminar: boolean;
  conflict: Conflict;
  /** The chair appointed them to screen blank answer sheets 2. */
  screening: boolean;
  /** They have submitted a first or second check this year (in any subject's exam). */
  checkedThisYear: boolean;
}

/**
 * The rounds an expert may take in one exam: none without training, qualification, briefing and the seminar,
 * or with a conflict declared and not cleared or a barring one; first and second checks otherwise; screening if the chair
 * appointed them; third checks and appeals if they are leading or senior and have done first or second checks
 * this year. (Never two checks of one work: that is the pool's query and a unique index.)
 */
export function mayTake(x: ExpertFacts | null): Round[] {
  if (!x || !(x.trained && x.qualified && x.briefed && x.seminar)) return [];
  if (x.conflict !== 'none' && x.conflict !== 'cleared') return [];
  return [
    ...(x.screening ? (['screening'] as const) : []),
    'first',
    'second',
    ...(x.status !== 'main' && x.checkedThisYear ? (['third', 'appeal'] as const) : []),
  ];
}

/** The rounds with a due day: first and second checks, due the day before the exam's processing deadline. */
export const DUE_ROUNDS: readonly Round[] = ['first', 'second'];

/** The day an exam's first and second checks are due (YYYY-MM-DD): the day before its processing deadline. */
export function examDueDay(processingDeadline: string | null): string | null {
  if (processingDeadline === null) return null;
  const d = new Date(`${processingDeadline}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/** A check's due day, or null: a round without one, or an exam without a processing deadline. */
export function dueDay(round: Round, processingDeadline: string | null): string | null {
  return DUE_ROUNDS.includes(round) ? examDueDay(processingDeadline) : null;
}

/** Whether an exam's first and second checks not yet scored are overdue on `today` (YYYY-MM-DD). */
export function examPastDue(processingDeadline: string | null, today: string): boolean {
  const due = examDueDay(processingDeadline);
  return due !== null && today > due;
}

/** The date (YYYY-MM-DD) at `now` in a time zone: an exam's days are its region's. */
export function dayIn(timeZone: string, now: Date): string {
  // en-CA writes dates as YYYY-MM-DD.
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
  return format.format(now);
}
