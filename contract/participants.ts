/**
 * Participants, exam points and kits from the regional information system: an export's files and the mapping
 * that reads them (calibration/regional/<year>/), taken all or nothing.
 */
import * as z from 'zod';
import { endpoint } from './endpoint.ts';

/** One row-level problem: the file, its row (first line; 0 for the whole file), the source column, a code. */
export const RisError = z.object({
  file: z.string(),
  row: z.number(),
  element: z.string().optional(),
  column: z.string().optional(),
  field: z.string().optional(),
  code: z.string(),
  /** What the code needs to be read (never a personal value). */
  params: z.record(z.string(), z.union([z.string(), z.number()])),
});
export type RisError = z.infer<typeof RisError>;

/**
 * Imports an export: the files as base64 (a Windows-1251 CSV is bytes, not text), read by the mapping given
 * (its schema is domain/ris.ts'; a misfit is a 422 naming it). 200 with the counts, or 422 with every error
 * when any row of any file is wrong, nothing taken.
 */
export const importRis = endpoint({
  method: 'POST',
  url: '/api/ris/import',
  bodyLimit: 64 * 1024 * 1024,
  body: z.strictObject({
    mapping: z.record(z.string(), z.unknown()),
    files: z
      .array(z.strictObject({ name: z.string().min(1).max(255), content: z.base64() }))
      .min(1)
      .max(100),
  }),
  answer: z.discriminatedUnion('imported', [
    z.object({
      imported: z.literal(true),
      ppes: z.number(),
      participants: z.number(),
      /** Of them, who refused processing of personal data: registered under their code only. */
      refused: z.number(),
      kits: z.number(),
    }),
    z.object({ imported: z.literal(false), errors: z.array(RisError) }),
  ]),
});
