/**
 * Retention for administrators: what falls due, what is held past its date, the legal holds and the
 * destruction acts.
 */
import * as z from 'zod';
import { endpoint } from './endpoint.ts';

/** A material kind of calibration/retention (domain/retention.ts MATERIAL_KINDS). */
const Material = z.string();
const Day = z.string();

export const Hold = z.object({
  id: z.number(),
  objectKey: z.string().nullable(),
  examId: z.string().nullable(),
  placedBy: z.string(),
  reason: z.string(),
  placedAt: z.iso.datetime(),
});
export type Hold = z.infer<typeof Hold>;

export const ActSummary = z.object({
  id: z.number(),
  at: z.iso.datetime(),
  runBy: z.string(),
  policyYear: z.number(),
  objects: z.number(),
  /** Exams' row sets (recognised values, personal data, results) the act erased, anonymised or deleted. */
  records: z.number(),
});

export const RetentionOutlook = z.object({
  due: z.array(z.object({ key: z.string(), material: Material, dueDay: Day })),
  heldPastDate: z.array(
    z.object({
      key: z.string(),
      material: Material,
      dueDay: Day,
      holds: z.array(z.object({ by: z.string(), reason: z.string() })),
    }),
  ),
  upcoming: z.array(z.object({ key: z.string(), material: Material, notBefore: z.iso.datetime() })),
  holds: z.array(Hold),
  acts: z.array(ActSummary),
});
export type RetentionOutlook = z.infer<typeof RetentionOutlook>;

export const retentionOutlook = endpoint({ method: 'GET', url: '/api/retention', answer: RetentionOutlook });

const Id = z.object({ id: z.coerce.number().int() });

export const DestructionAct = ActSummary.omit({ objects: true, records: true }).extend({
  policySha256: z.string(),
  items: z.array(
    z.object({
      objectKey: z.string(),
      sha256: z.string(),
      material: Material,
      dueDay: Day,
      late: z.boolean(),
    }),
  ),
  records: z.array(
    z.object({
      examId: z.string(),
      material: Material,
      action: z.enum(['destroy', 'anonymise']),
      dueDay: Day,
      late: z.boolean(),
      rows: z.record(z.string(), z.number()),
    }),
  ),
});
export type DestructionAct = z.infer<typeof DestructionAct>;

export const destructionAct = endpoint({
  method: 'GET',
  url: '/api/retention/acts/:id',
  params: Id,
  answer: DestructionAct,
});

/** A hold on one live object or on every object of an exam, with a reason (201). */
export const placeHold = endpoint({
  method: 'POST',
  url: '/api/retention/holds',
  body: z
    .strictObject({
      objectKey: z.string().min(1).max(300).optional(),
      examId: z.string().min(1).max(100).optional(),
      reason: z
        .string()
        .max(2000)
        .refine((r) => r.trim() !== '', 'a legal hold needs a reason'),
    })
    .refine((b) => !b.objectKey !== !b.examId, 'hold either an objectKey or an examId'),
  answer: z.object({ id: z.number() }),
});

export const releaseHold = endpoint({
  method: 'POST',
  url: '/api/retention/holds/:id/release',
  params: Id,
  answer: z.object({ id: z.number(), released: z.literal(true) }),
});

/**
 * Chooses a training set for next year's experts (201): `works` works of the exam with complete checks drawn
 * at random (by `seed`, made up and answered when not given), or the pages named; depersonalised copies kept.
 */
export const chooseTrainingSet = endpoint({
  method: 'POST',
  url: '/api/retention/training-sets',
  body: z
    .strictObject({
      examId: z.string().min(1).max(100),
      purpose: z
        .string()
        .max(500)
        .refine((p) => p.trim() !== '', 'a training set needs a purpose'),
      works: z.number().int().min(1).max(1000).optional(),
      seed: z.string().min(1).max(100).optional(),
      pageIds: z.array(z.string().min(1).max(200)).min(1).max(5000).optional(),
    })
    .refine((b) => !b.works !== !b.pageIds, 'give either works or pageIds')
    .refine((b) => !b.seed || b.works, 'a seed draws works'),
  answer: z.object({ id: z.number(), copies: z.array(z.string()), seed: z.string().nullable() }),
});
