/**
 * Works for operators: which scan stands for a sheet, the printing system's kit manifest, and assembly on
 * demand.
 */
import * as z from 'zod';
import { endpoint } from './endpoint.ts';
import { Message } from './messages.ts';

export const ScanChoice = z.object({
  sheetNumber: z.string(),
  pageId: z.string(),
  /** The page that stood for the sheet before (the same page when nothing changed). */
  previous: z.string(),
  status: z.enum(['final', 'needs-verification']),
});
export type ScanChoice = z.infer<typeof ScanChoice>;

/** Makes a recognised scan of the sheet its standing page, with a reason. */
export const chooseScan = endpoint({
  method: 'POST',
  url: '/api/sheets/:number/scan',
  params: z.object({ number: z.string() }),
  body: z.strictObject({ pageId: z.string().min(1), reason: z.string().min(1).max(2000) }),
  answer: ScanChoice,
});

/**
 * The kit manifest, text/csv: the header kit_id,registration,as1,as2_1,as2_2 and one kit per line (read by
 * the route's own parser, no body schema). Lines with a malformed barcode are reported and skipped.
 */
export const importKits = endpoint({
  method: 'POST',
  url: '/api/kits',
  answer: z.object({
    kits: z.number(),
    /** The lines not taken, in English; `problems` says the same as codes for the stations. */
    errors: z.array(z.string()),
    problems: z.array(Message),
  }),
});

export const AssembledWork = z.object({
  id: z.string(),
  kitId: z.string(),
  status: z.enum(['complete', 'incomplete']),
  /** Why a work is incomplete, in English: sheets not received, not yet verified, a broken chain. */
  missing: z.array(z.string()),
  /** The same reasons as codes with parameters: the stations show them in Russian. */
  reasons: z.array(Message),
  additionalSheets: z.number(),
});
export type AssembledWork = z.infer<typeof AssembledWork>;

export const AssemblyReport = z.object({
  works: z.array(AssembledWork),
  /** Recognised sheets that belong to no kit and no chain. */
  orphans: z.array(z.object({ sheetNumber: z.string(), form: z.string() })),
});
export type AssemblyReport = z.infer<typeof AssemblyReport>;

export const assembleWorks = endpoint({ method: 'POST', url: '/api/works/assemble', answer: AssemblyReport });
