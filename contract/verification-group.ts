/**
 * Group verification: many doubtful fields of one kind (one character, or one field of a form) leased at once
 * and shown on one screen, then decided together, each decision on its own.
 */
import * as z from 'zod';
import { endpoint } from './endpoint.ts';
import { Decision, TaskView } from './verification.ts';

export const GroupBy = z.enum(['character', 'field']);

export const TaskGroup = z.object({
  kind: GroupBy,
  /** The character every field's doubt shares (kind character), or `form/field`. */
  key: z.string(),
  tasks: z.array(TaskView).min(1),
  /** How long the group must be on screen before a key may decide it, ms: the station enforces it. */
  dwellMs: z.number().int().min(0),
});
export type TaskGroup = z.infer<typeof TaskGroup>;

/** A decision on one field of a group; `solo` sends the field out of groups, to be verified one by one. */
export const GroupDecision = z.strictObject({
  task: z.number().int().positive(),
  decision: z.union([Decision, z.strictObject({ action: z.literal('solo') })]),
});
export type GroupDecision = z.infer<typeof GroupDecision>;

export const GroupOutcome = z.union([
  z.object({ task: z.number(), ok: z.literal(true), pageFinal: z.boolean() }),
  z.object({ task: z.number(), ok: z.literal(false), code: z.string(), error: z.string() }),
]);
export type GroupOutcome = z.infer<typeof GroupOutcome>;

/**
 * Leases up to `size` fields of one kind: the caller's own leases their station does not hold first (a reload
 * gets them back), else the most doubtful open field's kind; 204 when there is none.
 */
export const nextGroup = endpoint({
  method: 'POST',
  url: '/api/verification/groups/next',
  body: z.strictObject({
    by: GroupBy.default('character'),
    size: z.number().int().min(1).max(40).default(12),
    /** The tasks the station holds (on screen, loaded ahead): not handed out to it again. */
    holding: z.array(z.number().int().positive()).max(80).default([]),
  }),
  answer: TaskGroup,
});

/** Decides the fields of a group, each on its own: one refused leaves the others decided. */
export const decideGroup = endpoint({
  method: 'POST',
  url: '/api/verification/groups/decide',
  body: z.strictObject({ decisions: z.array(GroupDecision).min(1).max(40) }),
  answer: z.object({ outcomes: z.array(GroupOutcome) }),
});

/** Gives the caller's leases on these tasks back to the queue at once (the station closed, a sign-out). */
export const releaseGroup = endpoint({
  method: 'POST',
  url: '/api/verification/groups/release',
  body: z.strictObject({ tasks: z.array(z.number().int().positive()).min(1).max(80) }),
  answer: z.object({ released: z.array(z.number()) }),
});
