/**
 * Expert checking: an expert's checks (by work code, pages as images, scores), a chair's distribution and
 * progress, reference works and statistics, appeals, and printing (appeal kits, batches of works, paper
 * protocols).
 */
import * as z from 'zod';
import { endpoint } from './endpoint.ts';
import { MessageParams } from './messages.ts';

const CheckId = z.object({ id: z.coerce.number().int().positive() });
const SheetNumber = z.object({ sheet: z.string().min(1) });
const Reason = z.string().min(1).max(2000);
/** A day (YYYY-MM-DD) in the exam's region. */
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const AppealId = z.object({ id: z.coerce.number().int().positive() });
/** Points per criterion id. */
const Scores = z.record(z.string(), z.number().int()).refine((s) => Object.keys(s).length <= 200, {
  message: 'at most 200 criteria',
});

export const Round = z.enum(['screening', 'first', 'second', 'third', 'appeal']);
export type Round = z.infer<typeof Round>;
const ExpertStatus = z.enum(['leading', 'senior', 'main']);

/** What an expert sees of a check: the work code, the tasks and criteria, and for a third check the earlier scores. */
export const CheckView = z.object({
  id: z.number(),
  workCode: z.string(),
  round: Round,
  tasks: z.array(
    z.object({
      task: z.string(),
      criteria: z.array(
        z.object({
          id: z.string(),
          max: z.number(),
          title: z.string().optional(),
          /** The marking scheme: what earns each number of points. */
          scheme: z.array(z.object({ points: z.number(), text: z.string() })).optional(),
        }),
      ),
    }),
  ),
  /** Answer-sheet-2 pages, in order: fetched one by one by number (1..pages). */
  pages: z.number(),
  /** First and second checks are due a day before the exam's processing deadline (YYYY-MM-DD). */
  dueDay: z.string().nullable(),
  /** The lease's end for a check taken from the pool; null for one a chair handed out. */
  leasedUntil: z.iso.datetime().nullable(),
  /** Earlier experts' scores for a third check or an appeal re-check, by round, without their names. */
  earlier: z.array(z.object({ round: Round, scores: Scores })),
  /** The expert's saved draft of scores (some criteria may be missing); null when none. */
  draft: Scores.nullable(),
});
export type CheckView = z.infer<typeof CheckView>;

/**
 * What follows a score: the other expert's, a third check, the work's result, or (after an appeal's
 * re-check, with the re-check's total) the conflict commission's hearing.
 */
export const AfterScore = z.discriminatedUnion('next', [
  z.object({ next: z.literal('waiting') }),
  z.object({ next: z.literal('third-check'), reasons: z.array(z.string()), tasks: z.array(z.string()) }),
  z.object({ next: z.literal('result'), total: z.number() }),
  z.object({ next: z.literal('hearing'), total: z.number() }),
]);
export type AfterScore = z.infer<typeof AfterScore>;

/** The expert's checks: the next one (204 when there is none), one by id, its pages, the scores. */
export const nextCheck = endpoint({ method: 'POST', url: '/api/checking/next', answer: CheckView });

export const check = endpoint({
  method: 'GET',
  url: '/api/checking/checks/:id',
  params: CheckId,
  answer: CheckView,
});

/** A page of the work's answer sheets 2, PNG, redacted for an expert. */
export const checkPage = endpoint({
  method: 'GET',
  url: '/api/checking/checks/:id/pages/:n',
  params: CheckId.extend({ n: z.coerce.number().int().positive() }),
});

export const scoreCheck = endpoint({
  method: 'POST',
  url: '/api/checking/checks/:id/scores',
  params: CheckId,
  body: z.strictObject({ scores: Scores }),
  answer: AfterScore,
});

/** Saves a draft of the scores: restored with the check, not a submission (criteria may be left out). */
export const saveDraft = endpoint({
  method: 'PUT',
  url: '/api/checking/checks/:id/draft',
  params: CheckId,
  body: z.strictObject({ scores: Scores }),
  answer: z.object({ savedAt: z.iso.datetime() }),
});

/** A screening expert's answer: blank (the work scores 0) or not (it goes to two experts). */
export const screenCheck = endpoint({
  method: 'POST',
  url: '/api/checking/checks/:id/screening',
  params: CheckId,
  body: z.strictObject({ blank: z.boolean() }),
  answer: z.union([AfterScore, z.object({ next: z.literal('checking') })]),
});

export const ExpertRegistration = z.strictObject({
  userId: z.string().min(1),
  year: z.number().int().min(2000).max(2100),
  subjectCode: z.string().regex(/^\d{2}$/),
  status: ExpertStatus,
  trained: z.boolean(),
  qualified: z.boolean(),
  briefed: z.boolean(),
  seminar: z.boolean(),
  conflict: z.enum(['none', 'declared', 'cleared', 'barred']).optional(),
  screening: z.boolean().optional(),
});
export type ExpertRegistration = z.infer<typeof ExpertRegistration>;

/** A chair registers an expert for a year and subject (201); the user must hold the expert or chair role. */
export const registerExpert = endpoint({
  method: 'POST',
  url: '/api/checking/experts',
  body: ExpertRegistration,
  answer: z.object({ ok: z.literal(true) }),
});

/** A chair hands checks to an expert, or back to the pool with `expertId` null. */
export const assignChecks = endpoint({
  method: 'POST',
  url: '/api/checking/assign',
  body: z.strictObject({
    checkIds: z.array(z.number().int()).max(5000),
    expertId: z.string().nullable(),
  }),
  answer: z.object({
    assigned: z.array(z.number()),
    /** Why each refused check was: `code` and `params` for the station's words, `reason` in plain words. */
    refused: z.array(
      z.object({
        id: z.number(),
        code: z.enum(['no-such-check', 'already-scored', 'may-not-take']),
        params: MessageParams,
        reason: z.string(),
      }),
    ),
  }),
});

/**
 * Why a pull gave an expert fewer checks than asked, as a code and its parameters (the station words it):
 * - `not-registered`: the expert is registered for no subject with an exam;
 * - `not-admitted` (`missing`: of trained, qualified, briefed, seminar): they may check nothing yet;
 * - `conflict` (`conflict`): a conflict of interest declared and not cleared, or barring;
 * - `rounds-not-allowed` (`rounds`: waiting checks by round; `status`; `checkedThisYear`): checks wait in
 *   rounds they may not take (third checks and appeals need a leading or senior expert with first or second
 *   checks done this year);
 * - `own-works` (`checks`): the checks left are of works they have already checked;
 * - `pool-empty`: nothing else waits in their exams.
 */
export const PullShortfall = z.discriminatedUnion('code', [
  z.object({ code: z.literal('not-registered'), params: z.object({}) }),
  z.object({ code: z.literal('not-admitted'), params: z.object({ missing: z.array(z.string()) }) }),
  z.object({ code: z.literal('conflict'), params: z.object({ conflict: z.string() }) }),
  z.object({
    code: z.literal('rounds-not-allowed'),
    params: z.object({
      rounds: z.record(z.string(), z.number()),
      status: ExpertStatus,
      checkedThisYear: z.boolean(),
    }),
  }),
  z.object({ code: z.literal('own-works'), params: z.object({ checks: z.number() }) }),
  z.object({ code: z.literal('pool-empty'), params: z.object({}) }),
]);
export type PullShortfall = z.infer<typeof PullShortfall>;

/** A chair pulls a batch of checks from the pool for one expert; `shortfall` says why fewer came than asked. */
export const pullChecks = endpoint({
  method: 'POST',
  url: '/api/checking/pull',
  body: z.strictObject({ expertId: z.string().min(1), count: z.number().int().min(1).max(500) }),
  answer: z.object({ checks: z.array(z.number()), shortfall: z.array(PullShortfall) }),
});

/** A user who may check (an expert or a chair) and their registration for the year and subject, if any. */
export const ExpertCandidate = z.object({
  userId: z.string(),
  name: z.string(),
  role: z.enum(['expert', 'chair']),
  registration: ExpertRegistration.omit({ userId: true, year: true, subjectCode: true }).nullable(),
});
export type ExpertCandidate = z.infer<typeof ExpertCandidate>;

/** The users a chair may register as experts (enabled experts and chairs), with their registration. */
export const listExperts = endpoint({
  method: 'GET',
  url: '/api/checking/experts',
  query: z.object({ year: z.coerce.number().int(), subject: z.string().regex(/^\d{2}$/) }),
  answer: z.array(ExpertCandidate),
});

export const Progress = z.object({
  rounds: z.array(z.object({ examId: z.string(), round: Round, status: z.string(), checks: z.number() })),
  /** First and second checks not scored by their due day. */
  overdue: z.array(
    z.object({
      checkId: z.number(),
      workCode: z.string(),
      round: Round,
      expertId: z.string().nullable(),
      dueDay: z.string(),
    }),
  ),
  /** Per expert: what they hold, what they have scored, and how much of what they hold is overdue. */
  experts: z.array(
    z.object({
      examId: z.string(),
      expertId: z.string(),
      inHand: z.number(),
      scored: z.number(),
      overdue: z.number(),
    }),
  ),
});
export type Progress = z.infer<typeof Progress>;

export const progress = endpoint({
  method: 'GET',
  url: '/api/checking/progress',
  query: z.object({ exam: z.string().optional() }),
  answer: Progress,
});

/** A chair marks a reference work with its known scores (201). */
export const setReference = endpoint({
  method: 'POST',
  url: '/api/checking/reference',
  body: z.strictObject({ workId: z.string().min(1), scores: Scores }),
  answer: z.object({ workId: z.string() }),
});

/** A chair's correction of a submitted first or second score. */
export const correctScore = endpoint({
  method: 'POST',
  url: '/api/checking/checks/:id/corrections',
  params: CheckId,
  body: z.strictObject({ criterion: z.string().min(1), points: z.number().int(), reason: Reason }),
  answer: AfterScore,
});

export const ExpertStatistics = z.object({
  expertId: z.string(),
  status: ExpertStatus,
  checked: z.number(),
  thirdByFault: z.number(),
  appealed: z.number(),
  appealsUpheld: z.number(),
  referenceScored: z.number(),
  referenceMatched: z.number(),
  consistency: z.number().nullable(),
  upheldAppealShare: z.number().nullable(),
  referenceAgreement: z.number().nullable(),
  qualifiesFor: ExpertStatus.nullable(),
});
export type ExpertStatistics = z.infer<typeof ExpertStatistics>;

const StatisticsQuery = z.object({
  year: z.coerce.number().int(),
  subject: z.string().regex(/^\d{2}$/),
  kind: z.string().default('EGE'),
});

/** Each expert's figures for a year and subject against the standards. */
export const statistics = endpoint({
  method: 'GET',
  url: '/api/checking/statistics',
  query: StatisticsQuery,
  answer: z.array(ExpertStatistics),
});

/**
 * The experts' agreement over the season as a file: CSV (every figure of `statistics`), SVG or PNG (a bar
 * chart of each expert's consistency, the share of their checks without a third check through their fault, in
 * percent; experts who checked nothing left out).
 */
export const statisticsFigure = endpoint({
  method: 'GET',
  url: '/api/checking/statistics/agreement',
  query: StatisticsQuery.extend({ format: z.enum(['csv', 'svg', 'png']) }),
});

export const Appeal = z.object({
  id: z.number(),
  workCode: z.string(),
  registeredBy: z.string(),
  registeredAt: z.iso.datetime(),
  filedOn: Day,
  reason: z.string(),
  /** rechecking, rechecked (the re-check scored, the hearing to come), decided (by the conflict commission). */
  status: z.enum(['rechecking', 'rechecked', 'decided']),
  /** The conflict commission's decision, apart from the re-check's total. */
  outcome: z.enum(['upheld', 'rejected']).nullable(),
  heardOn: Day.nullable(),
  decidedBy: z.string().nullable(),
  totalBefore: z.number(),
  recheckTotal: z.number().nullable(),
  /** The result the decision leaves: the re-check's total when upheld, the earlier one when rejected. */
  totalAfter: z.number().nullable(),
  decidedAt: z.iso.datetime().nullable(),
});
export type Appeal = z.infer<typeof Appeal>;

/** A chair registers a score appeal on a work with a result (201), opening its re-check. */
export const registerAppeal = endpoint({
  method: 'POST',
  url: '/api/appeals',
  body: z.strictObject({
    workId: z.string().min(1),
    reason: Reason,
    /** The day it was filed, when not today: the steps' deadlines count from it (road map L408). */
    filedOn: Day.optional(),
  }),
  answer: z.object({ appealId: z.number(), checkId: z.number() }),
});

export const appeals = endpoint({ method: 'GET', url: '/api/appeals', answer: z.array(Appeal) });

/**
 * The conflict commission's decision on a re-checked appeal, recorded by a chair: upheld takes the re-check's
 * scores as the work's result, rejected leaves it. `heardOn` defaults to today.
 */
export const decideAppeal = endpoint({
  method: 'POST',
  url: '/api/appeals/:id/decision',
  params: AppealId,
  body: z.strictObject({ outcome: z.enum(['upheld', 'rejected']), heardOn: Day.optional() }),
  answer: Appeal,
});

export const AppealStep = z.object({
  step: z.string(),
  what: z.string(),
  /** The regulation's line it keeps, e.g. "order L127". */
  rule: z.string(),
  /** Who does it (rcoi, conflict-commission, federal-centre); null where the exam's form does not say. */
  by: z.string().nullable(),
  from: Day.nullable(),
  dueDay: Day.nullable(),
  doneOn: Day.nullable(),
  state: z.enum(['waiting', 'open', 'overdue', 'done', 'late', 'not-applicable']),
  /** Why no due day could be counted (no production calendar for the year). */
  problem: z.string().nullable(),
});
export type AppealStep = z.infer<typeof AppealStep>;

export const AppealSteps = z.object({
  appealId: z.number(),
  workCode: z.string(),
  examId: z.string(),
  steps: z.array(AppealStep),
});
export type AppealSteps = z.infer<typeof AppealSteps>;

/** An appeal's steps with their deadlines by the regulation, and where each stands today. */
export const appealSteps = endpoint({
  method: 'GET',
  url: '/api/appeals/:id/steps',
  params: AppealId,
  answer: AppealSteps,
});

/** A chair records a step done (on `doneOn`, default today); answers the steps after it. */
export const recordAppealStep = endpoint({
  method: 'POST',
  url: '/api/appeals/:id/steps/:step',
  params: AppealId.extend({ step: z.string().regex(/^[a-z][a-z0-9-]*$/) }),
  body: z.strictObject({ doneOn: Day.optional() }),
  answer: AppealSteps,
});

export const Overdue = z.object({
  /** Appeal steps past their due day and not done, the oldest due first. */
  appealSteps: z.array(
    AppealStep.pick({ step: true, what: true, rule: true, by: true, dueDay: true }).extend({
      appealId: z.number(),
      workCode: z.string(),
      examId: z.string(),
    }),
  ),
  /** Each exam's processing deadline (its own, or the regulation's default) and its first and second checks overdue. */
  exams: z.array(
    z.object({
      examId: z.string(),
      processingDeadline: Day,
      defaulted: z.boolean(),
      dueDay: Day,
      overdueChecks: z.number(),
    }),
  ),
});
export type Overdue = z.infer<typeof Overdue>;

/** What is past the regulation's deadlines, for chairs: appeal steps and checks. */
export const overdue = endpoint({ method: 'GET', url: '/api/checking/overdue', answer: Overdue });

/** The appeal kit, PDF: every form of the work, its recognition results, the protocols, the result. */
export const appealKit = endpoint({
  method: 'GET',
  url: '/api/appeals/:id/kit',
  params: AppealId,
});

const WorkIds = z.strictObject({ workIds: z.array(z.string()).min(1).max(500) });

/** A chair's batch of works, depersonalised: answer sheets 2 as one PDF. */
export const worksPdf = endpoint({ method: 'POST', url: '/api/checking/batch-pdf', body: WorkIds });

/** The same pages as a ZIP of JPEG images. */
export const worksZip = endpoint({ method: 'POST', url: '/api/checking/batch-zip', body: WorkIds });

/** Paper mode: protocols for checks an expert holds, PDF; their sheet numbers in the x-protocols header. */
export const printProtocols = endpoint({
  method: 'POST',
  url: '/api/checking/protocols',
  body: z.strictObject({
    expertId: z.string().min(1),
    checkIds: z
      .array(z.number().int())
      .min(1)
      .max(500)
      .refine((ids) => new Set(ids).size === ids.length, { message: 'a check listed twice' }),
  }),
});

export const ProtocolStatus = z.enum(['printed', 'scored', 'rejected', 'void']);
export type ProtocolStatus = z.infer<typeof ProtocolStatus>;

export const Protocol = z.object({
  sheetNumber: z.string(),
  examId: z.string(),
  expertId: z.string(),
  printedBy: z.string(),
  printedAt: z.iso.datetime(),
  status: ProtocolStatus,
  reason: z.string().nullable(),
  settledAt: z.iso.datetime().nullable(),
  checks: z.number(),
});
export type Protocol = z.infer<typeof Protocol>;

export const protocols = endpoint({
  method: 'GET',
  url: '/api/checking/protocols',
  query: z.object({ status: ProtocolStatus.optional() }),
  answer: z.array(Protocol),
});

/** A protocol out with an expert, printed again under the same sheet number. */
export const protocolPdf = endpoint({
  method: 'GET',
  url: '/api/checking/protocols/:sheet/pdf',
  params: SheetNumber,
});

/** A spoiled or rejected protocol voided, so its checks can be printed again. */
export const voidProtocol = endpoint({
  method: 'POST',
  url: '/api/checking/protocols/:sheet/void',
  params: SheetNumber,
  body: z.strictObject({ reason: Reason }),
  answer: z.object({ sheetNumber: z.string(), status: z.literal('void') }),
});
