/**
 * The regulation's clock: deadlines counted in calendar days or in working days of a production calendar
 * kept as data (`calibration/deadlines/<year>/calendar.json`), the steps of a score appeal with their
 * deadlines, and an exam's processing deadline when none is set (`calibration/deadlines/<year>/rules.json`).
 * A step is due on the day its count ends after the day of what it follows, in the exam's region: "within 1
 * working day" of a Friday hearing is the Monday (order L127), unless Monday is a holiday.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as z from 'zod';
import { realDay } from './exams.ts';
import { EXAM_FORMS, type ExamForm } from './retention.ts';

const Day = z.string().refine(realDay, 'not a YYYY-MM-DD day');
const weekday = (day: string) => new Date(`${day}T00:00:00Z`).getUTCDay();
const weekend = (day: string) => weekday(day) === 0 || weekday(day) === 6;

/** One year's production calendar: which days are not worked beyond weekends, which weekend days are. */
export const CalendarSchema = z
  .strictObject({
    year: z.number().int(),
    example: z.boolean(),
    basis: z.string().min(1),
    /** Public holidays (Labour Code art. 112), on whatever day they fall. */
    holidays: z.array(Day),
    /** Weekdays off: a holiday moved off a weekend, or a day off transferred by decree. */
    transferredDaysOff: z.array(Day),
    /** Weekend days worked, by a transfer. */
    workingWeekendDays: z.array(Day),
  })
  .superRefine((c, ctx) => {
    const lists = ['holidays', 'transferredDaysOff', 'workingWeekendDays'] as const;
    for (const list of lists)
      for (const [i, day] of c[list].entries()) {
        if (!day.startsWith(`${c.year}-`))
          ctx.addIssue({ code: 'custom', path: [list, i], message: `${day} is not in ${c.year}` });
        if (list === 'transferredDaysOff' && weekend(day))
          ctx.addIssue({ code: 'custom', path: [list, i], message: `${day} is a weekend day already` });
        if (list === 'workingWeekendDays' && !weekend(day))
          ctx.addIssue({ code: 'custom', path: [list, i], message: `${day} is not a weekend day` });
      }
  });
export type Calendar = z.infer<typeof CalendarSchema>;

export const COUNTS = ['calendar', 'working'] as const;
export type Count = (typeof COUNTS)[number];

const Span = { days: z.number().int().min(0), count: z.enum(COUNTS), rule: z.string().min(1) };

/** What an appeal step follows: the filing, the hearing, or another step's completion. */
const EVENTS = ['filed', 'heard'] as const;

const AppealStepSchema = z.strictObject({
  step: z.string().regex(/^[a-z][a-z0-9-]*$/),
  what: z.string().min(1),
  after: z.string().min(1),
  ...Span,
  /** Only for appeals with this outcome (recalculation follows an upheld appeal only). */
  when: z.enum(['upheld', 'rejected']).optional(),
  /** Who does it: one party, or one per exam form. */
  by: z.union([z.string().min(1), z.record(z.enum(EXAM_FORMS), z.string().min(1))]),
});
export type AppealStepRule = z.infer<typeof AppealStepSchema>;

export const DeadlineRulesSchema = z
  .strictObject({
    year: z.number().int(),
    example: z.boolean(),
    basis: z.string().min(1),
    /** The processing deadline of an exam that has none set: so many days after the exam. */
    processing: z.strictObject(Span),
    appealSteps: z.array(AppealStepSchema).min(1),
  })
  .superRefine((r, ctx) => {
    const seen = new Set<string>(EVENTS);
    for (const [i, s] of r.appealSteps.entries()) {
      // A step follows an event or a step listed before it: no cycles, no dangling names.
      if (!seen.has(s.after))
        ctx.addIssue({
          code: 'custom',
          path: ['appealSteps', i, 'after'],
          message: `"${s.after}" is neither filed, heard nor a step listed before`,
        });
      if (seen.has(s.step))
        ctx.addIssue({ code: 'custom', path: ['appealSteps', i, 'step'], message: `"${s.step}" twice` });
      seen.add(s.step);
    }
  });
export type DeadlineRules = z.infer<typeof DeadlineRulesSchema>;

/** A deadline, or why it cannot be counted (a working-day count reaching a year without a calendar). */
export type Due = { day: string } | { problem: string };

/** Days since 1970-01-01: counting in numbers, a day string is made once per deadline, not once per day. */
const epochDay = (day: string) =>
  Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))) / 86_400_000;
const dayOf = (epoch: number) => new Date(epoch * 86_400_000).toISOString().slice(0, 10);

export function plusDays(day: string, n: number): string {
  return dayOf(epochDay(day) + n);
}

/** A calendar's days as epoch days, made once per calendar. */
const indexed = new WeakMap<Calendar, { off: Set<number>; worked: Set<number> }>();
function indexOf(c: Calendar) {
  let index = indexed.get(c);
  if (!index) {
    index = {
      off: new Set([...c.holidays, ...c.transferredDaysOff].map(epochDay)),
      worked: new Set(c.workingWeekendDays.map(epochDay)),
    };
    indexed.set(c, index);
  }
  return index;
}

function worked(calendars: readonly Calendar[], epoch: number): boolean | null {
  const year = new Date(epoch * 86_400_000).getUTCFullYear();
  const calendar = calendars.find((c) => c.year === year);
  if (!calendar) return null;
  const { off, worked } = indexOf(calendar);
  if (worked.has(epoch)) return true;
  if (off.has(epoch)) return false;
  // 1 January 1970 was a Thursday: Saturday and Sunday are 2 and 3 of the week counted from it.
  const weekday = (((epoch + 4) % 7) + 7) % 7;
  return weekday !== 0 && weekday !== 6;
}

/** Whether a day is worked; null when no calendar covers its year. */
export function isWorkingDay(calendars: readonly Calendar[], day: string): boolean | null {
  return worked(calendars, epochDay(day));
}

/** The day `days` calendar days, or `days` working days, after `from`. */
export function deadlineAfter(
  calendars: readonly Calendar[],
  from: string,
  span: { days: number; count: Count },
): Due {
  if (span.count === 'calendar') return { day: plusDays(from, span.days) };
  let epoch = epochDay(from);
  for (let left = span.days; left > 0; ) {
    epoch++;
    const w = worked(calendars, epoch);
    if (w === null) return { problem: `no production calendar for ${dayOf(epoch).slice(0, 4)}` };
    if (w) left--;
  }
  return { day: dayOf(epoch) };
}

/** The deadline an exam's processing runs to: its own, or the rules' count after the exam day. */
export function processingDeadline(
  rules: Pick<DeadlineRules, 'processing'>,
  exam: { date: string; processingDeadline: string | null },
): { day: string; defaulted: boolean } {
  if (exam.processingDeadline !== null) return { day: exam.processingDeadline, defaulted: false };
  // The processing rule counts calendar days (road map L415, L444); no calendar is needed for it.
  const due = deadlineAfter([], exam.date, rules.processing);
  if ('problem' in due) throw new Error(`processing deadline: ${due.problem}`);
  return { day: due.day, defaulted: true };
}

/** What is known of one appeal for its steps: days in the exam's region. */
export interface AppealFacts {
  /** Null when the exam's form is not known well enough (a GVE exam without its grade). */
  form: ExamForm | null;
  filedOn: string;
  heardOn: string | null;
  outcome: 'upheld' | 'rejected' | null;
  /** The day each step recorded as done was done. */
  done: Readonly<Record<string, string>>;
}

export const STEP_STATES = ['waiting', 'open', 'overdue', 'done', 'late', 'not-applicable'] as const;
export type StepState = (typeof STEP_STATES)[number];

export interface AppealStep {
  step: string;
  what: string;
  rule: string;
  by: string | null;
  /** The day the step's count starts from; null while what it follows has not happened. */
  from: string | null;
  dueDay: string | null;
  doneOn: string | null;
  /** waiting (its start unknown), open, overdue (past due, not done), done, late (done after its due day). */
  state: StepState;
  problem: string | null;
}

function startOf(rule: AppealStepRule, facts: AppealFacts): string | null {
  if (rule.after === 'filed') return facts.filedOn;
  if (rule.after === 'heard') return facts.heardOn;
  return facts.done[rule.after] ?? null;
}

/** Every step of an appeal on `today` (YYYY-MM-DD, the exam region's date), in the rules' order. */
export function appealSteps(
  rules: Pick<DeadlineRules, 'appealSteps'>,
  calendars: readonly Calendar[],
  facts: AppealFacts,
  today: string,
): AppealStep[] {
  return rules.appealSteps.map((rule) => {
    const by = typeof rule.by === 'string' ? rule.by : facts.form && (rule.by[facts.form] ?? null);
    const base = { step: rule.step, what: rule.what, rule: rule.rule, by, problem: null };
    const doneOn = facts.done[rule.step] ?? null;
    if (rule.when && facts.outcome !== null && facts.outcome !== rule.when)
      return { ...base, from: null, dueDay: null, doneOn, state: 'not-applicable' };
    const from = startOf(rule, facts);
    if (from === null) return { ...base, from, dueDay: null, doneOn, state: 'waiting' };
    const due = deadlineAfter(calendars, from, rule);
    if ('problem' in due)
      return { ...base, from, dueDay: null, doneOn, state: doneOn ? 'done' : 'open', problem: due.problem };
    const state: StepState =
      doneOn !== null ? (doneOn > due.day ? 'late' : 'done') : today > due.day ? 'overdue' : 'open';
    return { ...base, from, dueDay: due.day, doneOn, state };
  });
}

/** Why a step cannot be recorded as done on `doneOn`; null when it can. */
export function stepDoneProblem(
  rules: Pick<DeadlineRules, 'appealSteps'>,
  calendars: readonly Calendar[],
  facts: AppealFacts,
  step: string,
  doneOn: string,
  today: string,
): string | null {
  const s = appealSteps(rules, calendars, facts, today).find((x) => x.step === step);
  if (!s) return `no appeal step "${step}"`;
  if (s.state === 'not-applicable') return `${step} does not follow an appeal that was ${facts.outcome}`;
  if (s.doneOn !== null) return `${step} was recorded as done on ${s.doneOn}`;
  if (s.from === null) return `${step} waits for ${rules.appealSteps.find((r) => r.step === step)!.after}`;
  if (doneOn < s.from) return `${step} cannot be done before ${s.from}`;
  return doneOn > today ? `${doneOn} is still to come` : null;
}

const DIR = new URL('../calibration/deadlines/', import.meta.url);

function load<T>(schema: z.ZodType<T>, year: number, name: string): T {
  const file = `deadlines/${year}/${name}`;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(new URL(`${year}/${name}`, DIR), 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${file}:\n  ${issues.join('\n  ')}`);
  }
  if ((parsed.data as { year: number }).year !== year) throw new Error(`${file} declares another year`);
  return parsed.data;
}

const cache = new Map<number, DeadlineRules>();

/** A year's deadline rules, validated once per process; a year without them is an error, not a default. */
export function loadDeadlineRules(year: number): DeadlineRules {
  let rules = cache.get(year);
  if (!rules) {
    rules = load(DeadlineRulesSchema, year, 'rules.json');
    cache.set(year, rules);
  }
  return rules;
}

let calendars: Calendar[] | undefined;

/** Every year's production calendar shipped, validated once per process. */
export function loadCalendars(): Calendar[] {
  calendars ??= readdirSync(DIR)
    .filter((name) => /^\d{4}$/.test(name))
    .map((name) => load(CalendarSchema, Number(name), 'calendar.json'));
  return calendars;
}
