/**
 * Retention: how long each kind of exam material is kept, as data (calibration/retention/<year>.json), and
 * the pure decisions the sweeper acts on. Every date is a calendar day in the time zone of the exam's region:
 * "1 March" in Kamchatka begins eleven hours before it does in Kaliningrad, and an object may not be deleted
 * before its day has begun where the exam was sat.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import type { GRADE } from '../forms/subject-files.ts';

export const MATERIAL_KINDS = [
  /** A file as the scanner delivered it: its pages may be of any kind, AS2 among them. */
  'scan-file',
  'registration-image',
  'as1-image',
  'as2-image',
  'additional-as2-image',
  'protocol-image',
  /** Rows, not files: recognised values (fields, verifiers' corrections, the recogniser's readings). */
  'recognition-data',
  'conflict-protocol',
  'ppe-video',
  /** Rows: personal.participants (names, document, birth date, the RIS code, the registration sheet). */
  'personal-data',
  /** Rows: participant_results. */
  'participant-results',
  /** Depersonalised copies of AS2 pages chosen for expert training (order L207), from the expert's view. */
  'training-copy',
] as const;
export type MaterialKind = (typeof MATERIAL_KINDS)[number];

/** Materials kept as database rows rather than files, and what their policy may do with the rows. */
export const ROW_MATERIALS = {
  /** Values erased, rows kept: fields and corrections stay countable (verifiers' work, doubt rates). */
  'recognition-data': ['anonymise'],
  /** The person's identifiers go; the exam point, school and link to the work stay, results countable. */
  'personal-data': ['anonymise'],
  'participant-results': ['destroy'],
} as const satisfies Partial<Record<MaterialKind, readonly RetentionAction[]>>;
export type RowMaterial = keyof typeof ROW_MATERIALS;
export const isRowMaterial = (m: MaterialKind): m is RowMaterial => m in ROW_MATERIALS;

export const EXAM_KINDS = ['EGE', 'OGE', 'GVE'] as const;
export type ExamKind = (typeof EXAM_KINDS)[number];

/** The grades GVE is sat in: 9 (GIA-9, beside OGE) and 11 (beside EGE); EGE and OGE are one grade each. */
export type Grade = z.infer<typeof GRADE>;

/**
 * The exam forms the regulation tells apart: who recalculates an appeal's result (order L129-131), how long
 * GIA-9's materials are kept (road map L453, L455).
 */
export const EXAM_FORMS = ['EGE', 'OGE', 'GVE-9', 'GVE-11'] as const;
export type ExamForm = (typeof EXAM_FORMS)[number];

/** An exam's form; null for a GVE exam registered before its grade was stored. */
export function examForm(kind: ExamKind, grade: Grade | null | undefined): ExamForm | null {
  if (kind !== 'GVE') return kind;
  return grade ? `GVE-${grade}` : null;
}

/** What a policy may name: a form, or `GVE` for both of its grades. */
const POLICY_EXAMS = ['EGE', 'OGE', 'GVE', 'GVE-9', 'GVE-11'] as const;
type PolicyExam = (typeof POLICY_EXAMS)[number];
const covers = (named: PolicyExam, form: ExamForm) =>
  named === form || (named === 'GVE' && form.startsWith('GVE-'));
export type RetentionAction = 'destroy' | 'anonymise';

const RuleSchema = z.discriminatedUnion('kind', [
  /** A fixed day of a year counted from the exam year: AS2 images, 1 March of the next year. */
  z.strictObject({
    kind: z.literal('fixed-day'),
    yearsAfterExam: z.number().int().min(0).max(100),
    month: z.number().int().min(1).max(12),
    day: z.number().int().min(1).max(31),
  }),
  /** A period from the exam day: conflict-commission protocols, 3 years; grade-9 materials, 6 months. */
  z.strictObject({
    kind: z.literal('period'),
    years: z.number().int().min(0).max(100).default(0),
    months: z.number().int().min(0).max(1200).default(0),
  }),
]);
export type RetentionRule = z.infer<typeof RuleSchema>;

export const RetentionPolicySchema = z.strictObject({
  material: z.enum(MATERIAL_KINDS),
  /**
   * The exams it applies to: kinds, or GVE of one grade (GIA-9 materials, GVE-9's too, are kept half a year,
   * road map L453, L455); all by default.
   */
  exams: z
    .array(z.enum(POLICY_EXAMS))
    .min(1)
    .default([...EXAM_KINDS]),
  /** Files are destroyed; rows are destroyed or anonymised, as ROW_MATERIALS allows. */
  action: z.enum(['destroy', 'anonymise']).default('destroy'),
  rule: RuleSchema,
  /** Where the rule comes from, or why a configurable kind has this value. */
  basis: z.string().min(1),
});
export type RetentionPolicy = z.infer<typeof RetentionPolicySchema>;

export const RetentionPoliciesSchema = z
  .strictObject({
    /** The exam year these policies apply to. */
    year: z.number().int().min(2000).max(2100),
    policies: z.array(RetentionPolicySchema),
  })
  .superRefine((v, ctx) => {
    for (const kind of MATERIAL_KINDS)
      for (const exam of EXAM_FORMS) {
        const n = v.policies.filter(
          (p) => p.material === kind && p.exams.some((e) => covers(e, exam)),
        ).length;
        if (n !== 1)
          ctx.addIssue({
            code: 'custom',
            path: ['policies'],
            message: `${kind} (${exam}): ${n} policies, need 1`,
          });
      }
    for (const [i, p] of v.policies.entries()) {
      const allowed: readonly RetentionAction[] = isRowMaterial(p.material)
        ? ROW_MATERIALS[p.material]
        : ['destroy'];
      if (!allowed.includes(p.action))
        ctx.addIssue({
          code: 'custom',
          path: ['policies', i, 'action'],
          message: `${p.material} can be ${allowed.join(' or ')}, not ${p.action}`,
        });
      if (
        p.rule.kind === 'fixed-day' &&
        !isCalendarDay(2000 + p.rule.yearsAfterExam, p.rule.month, p.rule.day)
      )
        ctx.addIssue({ code: 'custom', path: ['policies', i, 'rule'], message: 'not a day of every year' });
    }
  });
export type RetentionPolicies = z.infer<typeof RetentionPoliciesSchema>;

/** Policy sets by exam year, validated; a year without its own file is an error, not a silent default. */
export function loadRetentionPolicies(year: number): RetentionPolicies {
  const url = new URL(`../calibration/retention/${year}.json`, import.meta.url);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(url, 'utf8'));
  } catch (err) {
    throw new Error(`no retention policies for exam year ${year}: ${(err as Error).message}`);
  }
  const parsed = RetentionPoliciesSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid retention policies for ${year}:\n  ${issues.join('\n  ')}`);
  }
  if (parsed.data.year !== year) throw new Error(`retention/${year}.json declares year ${parsed.data.year}`);
  return parsed.data;
}

/** A calendar day: year, month 1-12, day 1-31. */
export interface CalendarDay {
  year: number;
  month: number;
  day: number;
}

function isCalendarDay(year: number, month: number, day: number): boolean {
  // 29 February exists only in some years: a rule must name a day every year has.
  const probe = month === 2 && day === 29 ? 2001 : year;
  return new Date(Date.UTC(probe, month - 1, day)).getUTCDate() === day;
}

export function parseDay(iso: string): CalendarDay {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  const d = m && { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  if (!d || new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDate() !== d.day)
    throw new Error(`not a calendar day: "${iso}" (want YYYY-MM-DD)`);
  return d;
}

/**
 * `months` after a day. When the target month is shorter (31 August + 6 months), the period ends on the first
 * day of the following month, never on the last day of the short one: a retention period must not end early.
 */
export function addMonths(d: CalendarDay, months: number): CalendarDay {
  const index = d.year * 12 + (d.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (d.day <= last) return { year, month, day: d.day };
  return month === 12 ? { year: year + 1, month: 1, day: 1 } : { year, month: month + 1, day: 1 };
}

/**
 * A wall clock in each IANA zone asked for, made once: making an `Intl.DateTimeFormat` costs far more than
 * reading one, and a sweep reads a window per stored object. A zone that does not exist throws, uncached.
 */
const wallClocks = new Map<string, Intl.DateTimeFormat>();
function wallClock(timeZone: string): Intl.DateTimeFormat {
  let clock = wallClocks.get(timeZone);
  if (!clock) {
    clock = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    wallClocks.set(timeZone, clock);
  }
  return clock;
}

/** The instant a calendar day begins in an IANA time zone. */
export function startOfDay(d: CalendarDay, timeZone: string): Date {
  const utcGuess = Date.UTC(d.year, d.month - 1, d.day);
  // The zone's offset at an instant, from what a wall clock there shows; two rounds settle a DST change.
  const offsetAt = (t: number) => {
    const parts = Object.fromEntries(
      wallClock(timeZone)
        .formatToParts(new Date(t))
        .map((p) => [p.type, p.value]),
    );
    const wall = Date.UTC(
      Number(parts.year),
      Number(parts.month) - 1,
      Number(parts.day),
      Number(parts.hour),
      Number(parts.minute),
      Number(parts.second),
    );
    return wall - t;
  };
  let t = utcGuess - offsetAt(utcGuess);
  t = utcGuess - offsetAt(t);
  return new Date(t);
}

/** Valid IANA zone names only: a typo must not silently mean UTC. */
export function assertTimeZone(timeZone: string): void {
  try {
    wallClock(timeZone);
  } catch {
    throw new Error(`unknown time zone "${timeZone}"`);
  }
}

/** When a material may be destroyed, and by when it must be: the whole of its day, in the exam's zone. */
export interface RetentionWindow {
  /** The day the material is due for destruction (local to the exam's region). */
  day: CalendarDay;
  /** Earliest instant of deletion: the start of that day. */
  notBefore: Date;
  /** Deletion after this instant is late: the start of the next day. */
  deadline: Date;
}

export interface ExamDay {
  /** YYYY-MM-DD, the exam's calendar day in its region. */
  date: string;
  /** IANA zone of the exam's region, e.g. Europe/Moscow, Asia/Kamchatka. */
  timeZone: string;
}

export function retentionDay(rule: RetentionRule, exam: CalendarDay): CalendarDay {
  if (rule.kind === 'fixed-day')
    return { year: exam.year + rule.yearsAfterExam, month: rule.month, day: rule.day };
  return addMonths(exam, rule.years * 12 + rule.months);
}

export function retentionWindow(rule: RetentionRule, exam: ExamDay): RetentionWindow {
  assertTimeZone(exam.timeZone);
  const day = retentionDay(rule, parseDay(exam.date));
  const next = new Date(Date.UTC(day.year, day.month - 1, day.day + 1));
  return {
    day,
    notBefore: startOfDay(day, exam.timeZone),
    deadline: startOfDay(
      { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() },
      exam.timeZone,
    ),
  };
}

/** An exam's day and kind: what a policy is chosen by. */
export interface RetainedExam extends ExamDay {
  kind: ExamKind;
  /** GVE's grade; a GVE exam without one keeps GVE-11's policies, the later ones, as before grades were kept. */
  grade?: Grade | null;
}

/** One stored object (or an exam's rows of one material) as the sweeper sees it. */
export interface RetainedObject {
  key: string;
  material: MaterialKind;
  exam: RetainedExam;
  /** Legal holds in force on it (who placed each, and why, live in the store). */
  held: boolean;
}

export interface SweepPlan<T extends RetainedObject> {
  /** Due and not held: delete now. */
  destroy: { object: T; window: RetentionWindow; late: boolean }[];
  /** Due but held: kept, and reported on every run. */
  heldPastDate: { object: T; window: RetentionWindow }[];
  /** Due within the look-ahead (30 days by default). */
  upcoming: { object: T; window: RetentionWindow }[];
}

const DAY_MS = 86_400_000;

/**
 * Each object's window, worked out once per material and exam: a season's tens of thousands of objects share
 * a few dozen, and the sweep runs on an event loop that other jobs wait on.
 */
function windows(
  policyFor: (material: MaterialKind, exam: RetainedExam) => RetentionPolicy,
): (object: RetainedObject) => RetentionWindow {
  const known = new Map<string, RetentionWindow>();
  return ({ material, exam }) => {
    const key = [material, exam.date, exam.timeZone, exam.kind, exam.grade ?? ''].join('\u0000');
    let window = known.get(key);
    if (!window) {
      window = retentionWindow(policyFor(material, exam).rule, exam);
      known.set(key, window);
    }
    return window;
  };
}

/**
 * What a sweep at `now` does with each object. An object is destroyed only once its day has begun in its
 * exam's zone; it is late when that day has ended.
 */
export function planSweep<T extends RetainedObject>(
  objects: Iterable<T>,
  policyFor: (material: MaterialKind, exam: RetainedExam) => RetentionPolicy,
  now: Date,
  lookAheadDays = 30,
): SweepPlan<T> {
  const plan: SweepPlan<T> = { destroy: [], heldPastDate: [], upcoming: [] };
  const horizon = now.getTime() + lookAheadDays * DAY_MS;
  const windowOf = windows(policyFor);
  for (const object of objects) {
    const window = windowOf(object);
    if (window.notBefore.getTime() > now.getTime()) {
      if (window.notBefore.getTime() <= horizon) plan.upcoming.push({ object, window });
    } else if (object.held) plan.heldPastDate.push({ object, window });
    else plan.destroy.push({ object, window, late: now.getTime() >= window.deadline.getTime() });
  }
  return plan;
}

/** The policy for a material, from the set of its exam's year; `setOf` gives a year's whole set. */
export function policyLookup(load: (year: number) => RetentionPolicies = loadRetentionPolicies) {
  const sets = new Map<number, RetentionPolicies>();
  const setOf = (year: number): RetentionPolicies => {
    let set = sets.get(year);
    if (!set) {
      set = load(year);
      sets.set(year, set);
    }
    return set;
  };
  const lookup = (material: MaterialKind, exam: RetainedExam): RetentionPolicy => {
    const year = parseDay(exam.date).year;
    const form = examForm(exam.kind, exam.grade) ?? 'GVE-11';
    const policy = setOf(year).policies.find(
      (p) => p.material === material && p.exams.some((e) => covers(e, form)),
    );
    if (!policy) throw new Error(`no retention policy for ${material} (${form}) in ${year}`);
    return policy;
  };
  return Object.assign(lookup, { setOf });
}

/**
 * The object store's own expiry rules behind the sweeper, one per key prefix: from the first midnight UTC at
 * or after the latest deadline of any live object under it, so the store expires nothing before its day has
 * ended where its exam was sat, and only what a failed sweeper left behind. Where the store cannot hold
 * objects itself, a prefix with a held object gets no rule: the hold must win.
 */
export function expiryBackstops<T extends RetainedObject>(
  objects: Iterable<T>,
  policyFor: (material: MaterialKind, exam: RetainedExam) => RetentionPolicy,
  prefixOf: (object: T) => string,
  storeEnforcesHolds: boolean,
): { prefix: string; from: Date }[] {
  const latest = new Map<string, number>();
  const unprotected = new Set<string>();
  const windowOf = windows(policyFor);
  for (const object of objects) {
    const prefix = prefixOf(object);
    const { deadline } = windowOf(object);
    latest.set(prefix, Math.max(latest.get(prefix) ?? 0, deadline.getTime()));
    if (object.held && !storeEnforcesHolds) unprotected.add(prefix);
  }
  return [...latest]
    .filter(([prefix]) => !unprotected.has(prefix))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([prefix, t]) => ({ prefix, from: new Date(Math.ceil(t / DAY_MS) * DAY_MS) }));
}
