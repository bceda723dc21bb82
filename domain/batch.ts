/**
 * A scanner batch as it arrives (its manifest) and the count reconciliation an operator checks it by:
 * declared (the manifest, from the room's forms) against received (pages stored) against recognised (pages
 * read, by the kind of sheet the recogniser found).
 */
import * as z from 'zod';
import { SheetKindSchema } from '../forms/schema.ts';

/**
 * Characters no manifest string or file name may hold: controls (NUL, newline, escape), invisible formatting
 * (bidi overrides that make a name read other than it is), lone surrogates, line and paragraph separators.
 * The database refuses a NUL; the rest would mislead whoever reads a name in a report or a log.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** Why `text` may not be a name or a manifest string, or undefined when it may. */
export function unprintable(text: string): string | undefined {
  const found = UNPRINTABLE.exec(text)?.[0];
  if (found === undefined) return undefined;
  const code = found.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return `holds the control character U+${code}`;
}

const printable = (max: number) =>
  z
    .string()
    .max(max)
    .superRefine((text, ctx) => {
      const why = unprintable(text);
      if (why) ctx.addIssue({ code: 'custom', message: why });
    });

export const BatchManifestSchema = z.strictObject({
  /** The batch's own id at its station: a redelivery with the same id is the same batch. */
  batch: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
  station: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
  exam: printable(100).min(1),
  ppe: printable(20).optional(),
  room: printable(20).optional(),
  /** Pages declared per sheet kind. */
  declared: z.partialRecord(SheetKindSchema, z.number().int().min(0).max(100_000)).default({}),
});
export type BatchManifest = z.infer<typeof BatchManifestSchema>;

export class ManifestError extends Error {
  override name = 'ManifestError';
}

export function parseBatchManifest(raw: unknown, where: string): BatchManifest {
  const parsed = BatchManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ManifestError(`invalid batch manifest ${where}:\n  ${issues.join('\n  ')}`);
  }
  return parsed.data;
}

export type KindCounts = Partial<Record<z.infer<typeof SheetKindSchema> | 'unidentified', number>>;

export interface ReconciliationInput {
  declared: KindCounts;
  /** Pages stored for the batch (every page of every file, duplicates of earlier batches included). */
  receivedPages: number;
  /** Pages still waiting for recognition. */
  pendingPages: number;
  /** Recognised pages by the sheet kind found; rejected pages as 'unidentified'. */
  recognised: KindCounts;
}

/** A discrepancy as a code and what it names, for the stations' texts (contract/messages.ts). */
export type BatchNote =
  | { code: 'batch-pages-differ'; params: { received: number; declared: number } }
  | { code: 'batch-pages-unidentified'; params: { pages: number } }
  | { code: 'batch-kind-differs'; params: { kind: string; recognised: number; declared: number } }
  | { code: 'batch-sheet-rescanned'; params: { sheet: string; scans: number } };

/** The note in English, for logs and the command line. */
export function noteText({ code, params: p }: BatchNote): string {
  switch (code) {
    case 'batch-pages-differ':
      return `received ${p.received} pages, declared ${p.declared}`;
    case 'batch-pages-unidentified':
      return `${p.pages} pages rejected or unidentified`;
    case 'batch-kind-differs':
      return `${p.kind}: recognised ${p.recognised}, declared ${p.declared}`;
    case 'batch-sheet-rescanned':
      return `sheet ${p.sheet} scanned ${p.scans} times`;
  }
}

export interface Reconciliation {
  declaredPages: number;
  receivedPages: number;
  pendingPages: number;
  byKind: { kind: string; declared: number; recognised: number }[];
  /** Human-readable discrepancies (the notes in English); empty when the batch adds up. */
  discrepancies: string[];
  notes: BatchNote[];
}

/** Declared vs received vs recognised: what an operator must look at before the batch is closed. */
export function reconcile(input: ReconciliationInput): Reconciliation {
  const kinds = [...new Set([...Object.keys(input.declared), ...Object.keys(input.recognised)])].sort();
  const count = (c: KindCounts, k: string) => c[k as keyof KindCounts] ?? 0;
  const byKind = kinds.map((kind) => ({
    kind,
    declared: count(input.declared, kind),
    recognised: count(input.recognised, kind),
  }));
  const declaredPages = byKind.reduce((n, k) => n + k.declared, 0);
  const notes: BatchNote[] = [];
  if (input.receivedPages !== declaredPages)
    notes.push({
      code: 'batch-pages-differ',
      params: { received: input.receivedPages, declared: declaredPages },
    });
  if (input.pendingPages === 0) {
    for (const k of byKind) {
      if (k.kind === 'unidentified') {
        if (k.recognised > 0)
          notes.push({ code: 'batch-pages-unidentified', params: { pages: k.recognised } });
      } else if (k.recognised !== k.declared)
        notes.push({
          code: 'batch-kind-differs',
          params: { kind: k.kind, recognised: k.recognised, declared: k.declared },
        });
    }
  }
  return {
    declaredPages,
    receivedPages: input.receivedPages,
    pendingPages: input.pendingPages,
    byKind,
    discrepancies: notes.map(noteText),
    notes,
  };
}
