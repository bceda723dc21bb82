/**
 * A training set for next year's experts, squared with the AS2 destruction date. Past years' extended answers
 * train experts (order L207), yet AS2 images are destroyed by 1 March of the next year (order L395). So a set
 * is chosen before the originals' day begins in the exam's region, and what is kept are copies made from the
 * expert's redacted view (barcodes and link fields blanked: nothing names the sheet, hence the participant),
 * stored as 'training-copy' under their own policy. The set is an audited act: who chose it, when, for what,
 * and the copies' keys and hashes; it records no page, sheet or work, so nothing leads back to the person.
 * The originals keep their own date and are destroyed on time by the sweeper.
 */
import { createHash } from 'node:crypto';
import {
  type ExamKind,
  type MaterialKind,
  policyLookup,
  type RetentionPolicies,
  retentionWindow,
} from '../domain/retention.ts';
import type { FormDefinition } from '../forms/schema.ts';
import type { Adapters } from '../platform/adapters.ts';
import { pageImage } from '../platform/images.ts';
import { objectKey } from '../platform/objects.ts';
import { audit } from '../platform/store/audit.ts';
import { RetentionError } from './holds.ts';

/** The materials an AS2 page's original lives as: the copies must be made before the first of them goes. */
const ORIGINALS: MaterialKind[] = ['scan-file', 'as2-image', 'additional-as2-image'];

export interface TrainingSetChoice {
  examId: string;
  /** Pages of the exam's answer sheets 2 (or additional ones), as the expert sees them. */
  pageIds: string[];
  by: string;
  /** What the set is for, e.g. "experts' training 2027, subject 02". */
  purpose: string;
}

/** Chooses and records a training set at `now`; its id and the copies' keys. */
export async function chooseTrainingSet(
  deps: Adapters,
  forms: FormDefinition[],
  choice: TrainingSetChoice,
  now: Date,
  load?: (year: number) => RetentionPolicies,
): Promise<{ id: number; copies: string[] }> {
  const { db, objects } = deps;
  if (choice.purpose.trim() === '') throw new RetentionError('bad-request', 'a training set needs a purpose');
  if (choice.pageIds.length === 0) throw new RetentionError('bad-request', 'a training set needs pages');
  const [exam] = await db.query<{ kind: ExamKind; date: string; timeZone: string; year: number }>(
    `select kind, to_char(exam_date, 'YYYY-MM-DD') as date, time_zone as "timeZone", year
     from exams where id = $1`,
    [choice.examId],
  );
  if (!exam) throw new RetentionError('bad-request', `no exam ${choice.examId}`);
  const policyFor = policyLookup(load);
  const firstGone = Math.min(
    ...ORIGINALS.map((m) => retentionWindow(policyFor(m, exam).rule, exam).notBefore.getTime()),
  );
  if (now.getTime() >= firstGone)
    throw new RetentionError(
      'bad-request',
      `a training set must be chosen before ${new Date(firstGone).toISOString()}, when the originals go`,
    );
  const ofExam = await db.query<{ id: string }>(
    `select p.id from pages p join images i on i.sha256 = p.image_sha256
     join stored_objects o on o.object_key = i.object_key
     where p.id = any($1::text[]) and o.exam_id = $2 and o.destroyed_at is null`,
    [choice.pageIds, choice.examId],
  );
  const pageIds = [...new Set(choice.pageIds)];
  if (ofExam.length !== pageIds.length)
    throw new RetentionError('bad-request', `not every page is a live page of exam ${choice.examId}`);
  // Every copy is made before anything is stored: a set is taken whole or not at all.
  const copies = new Map<string, Uint8Array>();
  for (const pageId of pageIds) {
    const png = await pageImage(deps, forms, pageId, 'expert');
    if (!png) throw new RetentionError('bad-request', `page ${pageId} is no answer sheet 2 an expert may see`);
    copies.set(createHash('sha256').update(png).digest('hex'), png);
  }
  const keys: string[] = [];
  for (const [sha256, png] of copies) {
    const key = objectKey(exam.year, 'training-copy', sha256);
    await objects.put(key, png, {
      material: 'training-copy',
      examDate: exam.date,
      sha256,
      contentType: 'image/png',
    });
    keys.push(key);
  }
  const id = await db.transaction(async (tx) => {
    const [set] = await tx.query<{ id: number }>(
      `insert into training_sets (exam_id, chosen_by, chosen_at, purpose) values ($1, $2, $3, $4) returning id`,
      [choice.examId, choice.by, now, choice.purpose],
    );
    for (const [sha256, png] of copies) {
      const key = objectKey(exam.year, 'training-copy', sha256);
      await tx.query(
        `insert into stored_objects (object_key, material, exam_id, sha256, bytes)
         values ($1, 'training-copy', $2, $3, $4) on conflict (object_key) do nothing`,
        [key, choice.examId, sha256, png.length],
      );
      await tx.query('insert into training_set_items (set_id, object_key) values ($1, $2)', [set!.id, key]);
    }
    await audit(tx, choice.by, 'retention.training-set', `training-set:${set!.id}`, {
      exam: choice.examId,
      copies: copies.size,
      purpose: choice.purpose,
    });
    return set!.id;
  });
  return { id, copies: keys };
}
