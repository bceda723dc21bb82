/**
 * A training set for next year's experts, squared with the AS2 destruction date. Past years' extended answers
 * train experts (order L207), yet AS2 images are destroyed by 1 March of the next year (order L395). So a set
 * is chosen before the originals' day begins in the exam's region, and what is kept are copies made from the
 * expert's redacted view (barcodes and link fields blanked: nothing names the sheet, hence the participant),
 * stored as 'training-copy' under their own policy. The set is an audited act: who chose it, when, for what,
 * and the copies' keys and hashes; it records no page, sheet or work, so nothing leads back to the person.
 * The originals keep their own date and are destroyed on time by the sweeper.
 *
 * What an administrator asks for is "N works of the exam (one subject), at random, among those whose checks
 * are complete": the set trains experts on finished, scored works, and a seeded draw can be told and repeated.
 * Page ids named one by one are taken too, for a set a chair has picked on the screen.
 */
import { createHash } from 'node:crypto';
import {
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
import { drawCheckedWorks, livePagesOfExam, recordTrainingSet, retainedExam } from './store.ts';

/** The materials an AS2 page's original lives as: the copies must be made before the first of them goes. */
const ORIGINALS: MaterialKind[] = ['scan-file', 'as2-image', 'additional-as2-image'];

export interface TrainingSetChoice {
  examId: string;
  /** Pages of the exam's answer sheets 2 (or additional ones), as the expert sees them... */
  pageIds?: string[];
  /** ...or every AS2 page of `count` works with complete checks, drawn in the order `seed` gives them. */
  works?: { count: number; seed: string };
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
  if (!choice.works === !choice.pageIds?.length)
    throw new RetentionError('bad-request', 'a training set needs either pages or a number of works');
  const exam = await retainedExam(db, choice.examId);
  if (!exam) throw new RetentionError('no-such-exam', `no exam ${choice.examId}`, { exam: choice.examId });
  const policyFor = policyLookup(load);
  const firstGone = Math.min(
    ...ORIGINALS.map((m) => retentionWindow(policyFor(m, exam).rule, exam).notBefore.getTime()),
  );
  if (now.getTime() >= firstGone) {
    const at = new Date(firstGone).toISOString();
    throw new RetentionError(
      'training-set-too-late',
      `a training set must be chosen before ${at}, when the originals go`,
      { at },
    );
  }
  const pageIds = choice.works
    ? await pagesOfDrawnWorks(db, choice.examId, choice.works)
    : [...new Set(choice.pageIds)];
  if ((await livePagesOfExam(db, choice.examId, pageIds)) !== pageIds.length)
    throw new RetentionError('training-page-unfit', `not every page is a live page of exam ${choice.examId}`);
  // Every copy is made before anything is stored: a set is taken whole or not at all.
  const copies = new Map<string, Uint8Array>();
  for (const pageId of pageIds) {
    const png = await pageImage(deps, forms, pageId, 'expert');
    if (!png)
      throw new RetentionError(
        'training-page-unfit',
        `page ${pageId} is no answer sheet 2 an expert may see`,
      );
    copies.set(createHash('sha256').update(png).digest('hex'), png);
  }
  const stored: { objectKey: string; sha256: string; bytes: number }[] = [];
  for (const [sha256, png] of copies) {
    const key = objectKey(exam.year, 'training-copy', sha256);
    await objects.put(key, png, {
      material: 'training-copy',
      examDate: exam.date,
      sha256,
      contentType: 'image/png',
    });
    stored.push({ objectKey: key, sha256, bytes: png.length });
  }
  const id = await db.transaction(async (tx) => {
    const id = await recordTrainingSet(tx, { ...choice, at: now, copies: stored });
    await audit(tx, choice.by, 'retention.training-set', `training-set:${id}`, {
      exam: choice.examId,
      copies: stored.length,
      purpose: choice.purpose,
      ...(choice.works && { works: choice.works.count, seed: choice.works.seed }),
    });
    return id;
  });
  return { id, copies: stored.map((c) => c.objectKey) };
}

/** The AS2 pages of `count` works with complete checks, drawn by `seed`; fewer such works is a refusal. */
async function pagesOfDrawnWorks(
  db: Adapters['db'],
  examId: string,
  works: { count: number; seed: string },
): Promise<string[]> {
  const drawn = await drawCheckedWorks(db, examId, works.count, works.seed);
  if (drawn.eligible < works.count)
    throw new RetentionError(
      'training-set-too-few',
      `${works.count} works asked for, ${drawn.eligible} of exam ${examId} have complete checks`,
      { asked: works.count, eligible: drawn.eligible },
    );
  return drawn.pageIds;
}
