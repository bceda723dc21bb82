/**
 * Answer-sheet-1 scoring and a participant's result, as data (calibration/scoring/<year>/<exam>-<subject>.json)
 * and pure decisions: each short answer against its variant's key by its task's rule, the primary scores of
 * AS1 and of the experts' AS2, and the primary total converted by the subject's scale (EGE: a 100-point
 * table; OGE and GVE: five-point marks by bands). A changed key or scale has another digest, so results
 * computed under the old one are known and recomputed.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { type AnswerType, answerTypeOf, type SubjectAnswers } from '../forms/answer-types.ts';
import { loadSubjectFiles, parseSubjectFile, SUBJECT_FILE_HEADER } from '../forms/subject-files.ts';
import { type Scores, type SubjectRules, taskTotal } from './checking.ts';

/**
 * How an answer is held against its key:
 * - exact: the whole answer (numbers by value where the task's answer type is a number: `0,50` = `0,5`);
 * - set: the symbols in any order (`135` = `531`); an error is a symbol missing or one too many, a wrong
 *   symbol in place of a right one counting once;
 * - sequence: symbol by symbol in place (a matching `2413`); an error is a position that differs.
 */
export const COMPARISONS = ['exact', 'set', 'sequence'] as const;

const RuleSchema = z
  .strictObject({
    from: z.number().int().min(1).max(99),
    to: z.number().int().min(1).max(99),
    compare: z.enum(COMPARISONS),
    /** Points by the errors made: `[2, 1]` is 2 for none, 1 for one error, 0 for more; `[1]` all or nothing. */
    points: z.array(z.number().int().min(1)).min(1),
    note: z.string().min(1).optional(),
  })
  .refine((r) => r.from <= r.to, { message: 'from is after to' })
  .refine((r) => r.points.every((p, i) => i === 0 || p < r.points[i - 1]!), {
    message: 'points must fall with each error',
  })
  .refine((r) => r.compare !== 'exact' || r.points.length === 1, {
    message: 'an exact answer is right or wrong: one points value',
  });
export type ScoringRule = z.infer<typeof RuleSchema>;

/** A variant's name (the KIM's number, as the participant's materials carry it). */
export const VARIANT_PATTERN = /^[0-9A-Za-z-]{1,20}$/;

/** A task's right answer, or its accepted alternatives (`ВСЁ-ТАКИ` and `ВСЕ-ТАКИ`). */
const KeySchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const ScaleSchema = z.discriminatedUnion('kind', [
  /** EGE: `table[p]` is the test score (0..100) of primary score p. */
  z.strictObject({ kind: z.literal('test-score'), table: z.array(z.number().int().min(0).max(100)) }),
  /** OGE, GVE: the mark of the highest band whose `from` the primary score reaches. */
  z.strictObject({
    kind: z.literal('mark'),
    bands: z.array(z.strictObject({ from: z.number().int().min(0), mark: z.number().int().min(2).max(5) })),
  }),
]);
export type Scale = z.infer<typeof ScaleSchema>;

export const SubjectScoringSchema = z
  .strictObject({
    ...SUBJECT_FILE_HEADER,
    /**
     * The short-answer tasks' rules by ranges; none for a subject whose whole work is extended answers
     * checked by experts (GVE Russian, OGE literature): its AS1 part is then 0 of 0.
     */
    tasks: z.array(RuleSchema),
    /** The keys by variant (the KIM's number): every variant keys every task of `tasks`; none without tasks. */
    variants: z.record(z.string().regex(VARIANT_PATTERN), z.record(z.string(), KeySchema)).default({}),
    /** The highest primary score: the short answers' plus the experts' criteria (cross-checked in tests). */
    primaryMax: z.number().int().min(1),
    scale: ScaleSchema,
  })
  .superRefine((v, ctx) => {
    const tasks: number[] = [];
    v.tasks.forEach((r, i) => {
      for (let n = r.from; n <= r.to; n++) {
        if (tasks.includes(n))
          ctx.addIssue({ code: 'custom', path: ['tasks', i], message: `task ${n} in two ranges` });
        tasks.push(n);
      }
    });
    if (tasks.length > 0 && Object.keys(v.variants).length === 0)
      ctx.addIssue({ code: 'custom', path: ['variants'], message: 'no variant keyed' });
    for (const [variant, keys] of Object.entries(v.variants)) {
      const missing = tasks.filter((n) => keys[String(n)] === undefined);
      const extra = Object.keys(keys).filter((k) => !tasks.includes(Number(k)) || String(Number(k)) !== k);
      if (missing.length > 0)
        ctx.addIssue({ code: 'custom', path: ['variants', variant], message: `no key for ${missing}` });
      if (extra.length > 0)
        ctx.addIssue({ code: 'custom', path: ['variants', variant], message: `not a task: ${extra}` });
    }
    const s = v.scale;
    if (s.kind === 'test-score') {
      if (s.table.length !== v.primaryMax + 1)
        ctx.addIssue({ code: 'custom', path: ['scale'], message: `table needs ${v.primaryMax + 1} entries` });
      if (s.table.some((x, i) => i > 0 && x < s.table[i - 1]!))
        ctx.addIssue({ code: 'custom', path: ['scale'], message: 'test scores must not fall' });
    } else if (
      s.bands[0]?.from !== 0 ||
      s.bands.some((b, i) => i > 0 && (b.from <= s.bands[i - 1]!.from || b.mark <= s.bands[i - 1]!.mark)) ||
      s.bands.some((b) => b.from > v.primaryMax)
    )
      ctx.addIssue({
        code: 'custom',
        path: ['scale'],
        message: 'bands start at 0 and rise in both score and mark, within the maximum',
      });
  });
export type SubjectScoring = z.infer<typeof SubjectScoringSchema>;

/** A digest of a subject's scoring: results remember the one they were computed under. */
export function scoringDigest(s: SubjectScoring): string {
  return createHash('sha256').update(JSON.stringify(s)).digest('hex');
}

/** A number's canonical form (`-0,50` → `-0,5`, `,5` → `0,5`, `-0` → `0`); null for what is no number. */
export function canonicalNumber(s: string): string | null {
  const m = /^(-?)(\d*)(?:,(\d+))?$/.exec(s);
  if (!m || (m[2] === '' && m[3] === undefined)) return null;
  const whole = m[2]!.replace(/^0+/, '') || '0';
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  const value = fraction ? `${whole},${fraction}` : whole;
  return value === '0' ? value : `${m[1]}${value}`;
}

const NUMERIC_TYPES: readonly AnswerType[] = ['integer', 'decimal', 'word-or-number'];

/** Symbols of `a` not in `b`, counted with repeats. */
function surplus(a: string[], b: string[]): number {
  const left = [...b];
  let n = 0;
  for (const ch of a) {
    const i = left.indexOf(ch);
    if (i < 0) n++;
    else left.splice(i, 1);
  }
  return n;
}

/** The errors an answer makes against one right answer; Infinity where it is simply wrong. */
function errors(compare: ScoringRule['compare'], numeric: boolean, key: string, answer: string): number {
  if (compare === 'exact') {
    const k = numeric ? canonicalNumber(key) : null;
    const a = numeric ? canonicalNumber(answer) : null;
    return (k !== null && a !== null ? k === a : key === answer) ? 0 : Infinity;
  }
  const k = [...key];
  const a = [...answer];
  if (compare === 'set') return Math.max(surplus(k, a), surplus(a, k));
  let n = Math.abs(k.length - a.length);
  for (let i = 0; i < Math.min(k.length, a.length); i++) if (k[i] !== a[i]) n++;
  return n;
}

/** The rule of task `task`; undefined for a task not scored from AS1. */
export function ruleOf(scoring: SubjectScoring, task: number): ScoringRule | undefined {
  return scoring.tasks.find((r) => task >= r.from && task <= r.to);
}

/**
 * The points of one short answer: the best over the key's alternatives, by the errors made. A blank answer
 * scores 0. Answers and keys are compared in capitals, trimmed; numbers by value where the task's answer
 * type is a number (or a word-or-number and both are numbers).
 */
export function answerPoints(rule: ScoringRule, type: AnswerType, key: string | string[], answer: string) {
  const given = answer.trim().toUpperCase();
  if (given === '') return 0;
  const least = Math.min(
    ...[key]
      .flat()
      .map((k) => k.trim().toUpperCase())
      .map((k) => errors(rule.compare, NUMERIC_TYPES.includes(type), k, given)),
  );
  return rule.points[least] ?? 0;
}

export interface TaskMark {
  part: 'as1' | 'as2';
  task: string;
  points: number;
  max: number;
}

/** Every task of AS1 scored against a variant's key; `values` holds the final `result.N` values by task. */
export function scoreAs1(
  scoring: SubjectScoring,
  types: SubjectAnswers | undefined,
  keys: Record<string, string | string[]>,
  values: Record<string, string>,
): TaskMark[] {
  return scoring.tasks.flatMap((rule) =>
    Array.from({ length: rule.to - rule.from + 1 }, (_, i) => {
      const task = String(rule.from + i);
      const type = types ? answerTypeOf(types, rule.from + i) : 'free';
      return {
        part: 'as1' as const,
        task,
        points: answerPoints(rule, type, keys[task]!, values[task] ?? ''),
        max: rule.points[0]!,
      };
    }),
  );
}

/** The experts' result per AS2 task (criteria summed), with each task's maximum. */
export function scoreAs2(rules: SubjectRules, scores: Scores): TaskMark[] {
  return rules.tasks.map((t) => ({
    part: 'as2' as const,
    task: t.task,
    points: taskTotal(rules, scores, t.task),
    max: t.criteria.reduce((a, c) => a + c.max, 0),
  }));
}

/** A primary score converted by the subject's scale: a test score or a five-point mark. */
export function convert(scale: Scale, primary: number): number {
  if (scale.kind === 'test-score') {
    const score = scale.table[primary];
    if (score === undefined) throw new Error(`primary score ${primary} is beyond the scale`);
    return score;
  }
  return scale.bands.filter((b) => primary >= b.from).at(-1)!.mark;
}

/** Why a result is not complete yet. */
export const INCOMPLETE_REASONS = [
  'work-incomplete',
  'no-variant',
  'unknown-variant',
  'as1-missing',
  'as1-not-final',
  'checks-pending',
  'appeal-pending',
] as const;
export type IncompleteReason = (typeof INCOMPLETE_REASONS)[number];

/** What the stores know of one work, for its result. */
export interface ResultFacts {
  workComplete: boolean;
  variant: string | null;
  as1: { state: 'final'; values: Record<string, string> } | { state: 'missing' | 'not-final' };
  /** The combined scores of the experts' checks (`work_results`), or null while checks are pending. */
  as2: Scores | null;
  appealPending: boolean;
}

export interface ParticipantResult {
  status: 'complete' | 'incomplete';
  reasons: IncompleteReason[];
  variant: string | null;
  as1: number | null;
  as2: number | null;
  primary: number | null;
  /** The test score (EGE) or the mark (OGE, GVE) by `scale`; null until the result is complete. */
  score: number | null;
  scale: Scale['kind'];
  tasks: TaskMark[];
}

const sum = (marks: TaskMark[]) => marks.reduce((a, m) => a + m.points, 0);

/**
 * A participant's result: each part scored where its facts are final, the total and its conversion only when
 * both are; otherwise incomplete with every reason that holds. A subject without short answers waits for no
 * variant and no answer sheet 1: its AS1 part is 0 of 0.
 */
export function participantResult(
  scoring: SubjectScoring,
  types: SubjectAnswers | undefined,
  rules: SubjectRules,
  facts: ResultFacts,
): ParticipantResult {
  const reasons: IncompleteReason[] = [];
  if (!facts.workComplete) reasons.push('work-incomplete');
  const as1 = scoring.tasks.length === 0 ? [] : shortAnswers(scoring, types, facts, reasons);
  if (facts.as2 === null) reasons.push('checks-pending');
  if (facts.appealPending) reasons.push('appeal-pending');
  const as2 = facts.as2 === null ? null : scoreAs2(rules, facts.as2);
  const complete = reasons.length === 0 && as1 !== null && as2 !== null;
  const primary = complete ? sum(as1) + sum(as2) : null;
  return {
    status: complete ? 'complete' : 'incomplete',
    reasons,
    variant: facts.variant,
    as1: as1 && sum(as1),
    as2: as2 && sum(as2),
    primary,
    score: primary === null ? null : convert(scoring.scale, primary),
    scale: scoring.scale.kind,
    tasks: [...(as1 ?? []), ...(as2 ?? [])],
  };
}

/** AS1 scored by the work's variant's key, or null with the reasons it cannot be yet added to `reasons`. */
function shortAnswers(
  scoring: SubjectScoring,
  types: SubjectAnswers | undefined,
  facts: ResultFacts,
  reasons: IncompleteReason[],
): TaskMark[] | null {
  const keys = facts.variant === null ? undefined : scoring.variants[facts.variant];
  if (facts.variant === null) reasons.push('no-variant');
  else if (!keys) reasons.push('unknown-variant');
  if (facts.as1.state !== 'final')
    reasons.push(facts.as1.state === 'missing' ? 'as1-missing' : 'as1-not-final');
  return keys && facts.as1.state === 'final' ? scoreAs1(scoring, types, keys, facts.as1.values) : null;
}

/** What a recomputation changed in one result: the figures, old → new, and the tasks whose points moved. */
export interface ResultChange {
  status: [ParticipantResult['status'], ParticipantResult['status']];
  primary: [number | null, number | null];
  score: [number | null, number | null];
  tasks: { part: TaskMark['part']; task: string; points: [number | null, number | null] }[];
}

/** The change from `before` to `after`, or null when nothing a participant sees differs. */
export function resultChange(before: ParticipantResult, after: ParticipantResult): ResultChange | null {
  const id = (m: TaskMark) => `${m.part}:${m.task}`;
  const old = new Map(before.tasks.map((m) => [id(m), m]));
  const now = new Map(after.tasks.map((m) => [id(m), m]));
  const tasks = [...new Set([...old.keys(), ...now.keys()])]
    .map((k) => ({ k, o: old.get(k), n: now.get(k) }))
    .filter(({ o, n }) => o?.points !== n?.points)
    .map(({ k, o, n }) => ({
      part: (o ?? n)!.part,
      task: k.slice(k.indexOf(':') + 1),
      points: [o?.points ?? null, n?.points ?? null] as [number | null, number | null],
    }));
  if (
    before.status === after.status &&
    before.primary === after.primary &&
    before.score === after.score &&
    tasks.length === 0
  )
    return null;
  return {
    status: [before.status, after.status],
    primary: [before.primary, after.primary],
    score: [before.score, after.score],
    tasks,
  };
}

const SCORING_DIR = new URL('../calibration/scoring/', import.meta.url);

/** Validates one subject's scoring; the error names the file and every bad key, or a name not its own. */
export function parseSubjectScoring(json: unknown, year: number, name: string): SubjectScoring {
  return parseSubjectFile(SubjectScoringSchema, 'scoring', json, year, name);
}

/** Every subject's scoring shipped for a year, validated. */
export function loadSubjectScoring(year: number, dir: URL = SCORING_DIR): SubjectScoring[] {
  return loadSubjectFiles(dir, 'scoring', 'scoring', year, (json, name) =>
    parseSubjectScoring(json, year, name),
  );
}
