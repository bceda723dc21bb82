/** The verifier's loop: the next doubtful field, its image crop, a decision. */
import { z } from 'zod';
import { endpoint } from './endpoint.ts';

const TaskId = z.object({ id: z.coerce.number().int().positive() });

export const TaskView = z.object({
  id: z.number(),
  pageId: z.string(),
  field: z.string(),
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

/** Leases the most doubtful open task to the caller; 204 when there is none. */
export const nextTask = endpoint({ method: 'POST', url: '/api/verification/next', answer: TaskView });

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
