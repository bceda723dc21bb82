/** The verifier's loop: the next doubtful field, its image crop, a decision. */
import * as z from 'zod';
import { endpoint } from './endpoint.ts';

const TaskId = z.object({ id: z.coerce.number().int().positive() });

export const TaskView = z.object({
  id: z.number(),
  pageId: z.string(),
  field: z.string(),
  /** The field's name in Russian, as the sheet prints it ("Ответ 24", "Номер бланка"). */
  label: z.string(),
  form: z.string().nullable(),
  value: z.string(),
  confidence: z.number(),
  doubt: z.array(z.string()),
  /** The doubtful characters of a cells field (1 for its first cell), each with its reason and in words. */
  cells: z.array(z.object({ cell: z.number().int().min(1), reason: z.string(), detail: z.string() })),
  /** Symbols a correction may use; '' for a writing area ('written' or ''). */
  allowed: z.string(),
  status: z.literal('leased'),
  leasedUntil: z.iso.datetime(),
});
export type TaskView = z.infer<typeof TaskView>;

export const Decision = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('confirm') }),
  z.strictObject({ action: z.literal('correct'), value: z.string().max(200) }),
  z.strictObject({ action: z.literal('escalate') }),
]);
export type Decision = z.infer<typeof Decision>;

/** The tasks a station holds already (on screen, loaded ahead): not handed out to it again. No body: none. */
export const NextRequest = z
  .strictObject({ holding: z.array(z.number().int().positive()).max(20) })
  .nullish();

/**
 * Leases a task to the caller: first one of their own still-leased tasks the station does not hold (a reload
 * or a crash gets them back), else the most doubtful open one; 204 when there is none.
 */
export const nextTask = endpoint({
  method: 'POST',
  url: '/api/verification/next',
  body: NextRequest,
  answer: TaskView,
});

/** Gives a leased task back to the queue at once (a station closed, a verifier signed out). */
export const releaseTask = endpoint({
  method: 'POST',
  url: '/api/verification/tasks/:id/release',
  params: TaskId,
  answer: z.object({ released: z.boolean() }),
});

/**
 * Takes back the last decision on a task: its field's value as before, the task leased to the caller again.
 * A verifier undoes their own decisions while the page is not final; a senior verifier anyone's, a final
 * page's too as long as nothing has used the sheet yet.
 */
export const undoDecision = endpoint({
  method: 'POST',
  url: '/api/verification/tasks/:id/undo',
  params: TaskId,
  answer: TaskView,
});

export const StationState = z.object({
  /** A key acts on a field only once it has been on screen this long (RCOI_VERIFY_DWELL_MS). */
  dwellMs: z.number().int().min(0),
  /** Fields waiting for this verifier: open ones they may take and their own leases. */
  left: z.number().int(),
  /** Decisions this verifier made since `since` (the station's midnight) and in the last hour, undos taken off. */
  doneToday: z.number().int(),
  lastHour: z.number().int(),
});
export type StationState = z.infer<typeof StationState>;

/** The station's setting and the verifier's counts. */
export const stationState = endpoint({
  method: 'GET',
  url: '/api/verification/station',
  query: z.object({ since: z.iso.datetime() }),
  answer: StationState,
});

/** The field's crop, PNG: only to the task's lessee while the lease runs. */
export const taskImage = endpoint({
  method: 'GET',
  url: '/api/verification/tasks/:id/image',
  params: TaskId,
});

export const decideTask = endpoint({
  method: 'POST',
  url: '/api/verification/tasks/:id',
  params: TaskId,
  body: Decision,
  answer: z.object({ pageFinal: z.boolean() }),
});

/**
 * A form's blind control sample (its `controlShare`): answers read without a doubt and verified all the same.
 * `corrected` are the silent errors it caught; `rate` their share of the decided ones and `upper95` the most
 * the sample still allows (Wilson, 95%), both null before any decision.
 */
export const ControlSampleRow = z.object({
  form: z.string(),
  sampled: z.number().int(),
  decided: z.number().int(),
  corrected: z.number().int(),
  rate: z.number().nullable(),
  upper95: z.number().nullable(),
});
export type ControlSampleRow = z.infer<typeof ControlSampleRow>;

/** Each form's control sample so far: what an administrator weighs a threshold by. */
export const controlSample = endpoint({
  method: 'GET',
  url: '/api/verification/control',
  answer: z.array(ControlSampleRow),
});
