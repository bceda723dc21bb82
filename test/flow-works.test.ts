import { describe, expect, it } from 'vitest';
import { shippedForms } from '../forms/definitions.ts';
import { ingestBatch } from '../intake/ingest.ts';
import { sha256 } from '../pipeline/page-job.ts';
import { SHEET_NUMBER_TASK } from '../pipeline/result.ts';
import { inProcessStages, queueRecognition } from '../platform/queues.ts';
import { registerExam } from '../platform/store/exams.ts';
import { generateSheet } from '../samples/generate.ts';
import { corpusFiles } from '../samples/make-corpus.ts';
import { decide, takeNextTask } from '../verification/store.ts';
import { type RequeueTarget, stageHandlers } from '../workers/handlers.ts';
import { queueAssembly, queueFollowUp } from '../works/follow-up.ts';
import { importKits } from '../works/store.ts';
import { corpusTruth, MOSCOW_EGE_02 } from './helpers.ts';
import { DATABASES, freshAdapters, undoAfterAll } from './services.ts';

const forms = shippedForms();
const KIT_FILES = [
  'ege-registration-scanner-7.jpg',
  'ege-as1-2023-scanner-1.jpg',
  'ege-as2-1-scanner-8.jpg',
  'ege-as2-additional-scanner-10.jpg',
];
const corpus = corpusFiles().filter((f) => KIT_FILES.includes(f.name));
const ADDITIONAL = '5378564199832';

/** AS2 sheet 2 of the same participant, its link naming the corpus's additional sheet. */
async function sheetTwo() {
  const def = forms.find((f) => f.id === 'ege-as2-2')!;
  const sheet = await generateSheet(def, 41, 'scanner', { links: { additional_sheet: ADDITIONAL } });
  return { file: { name: `as2-2.${sheet.format}`, bytes: sheet.image }, truth: sheet.truth };
}

const undo = undoAfterAll();

describe.each(DATABASES)('works through the stages on %s', (_name, open) => {
  it('assembles a kit again as its pages become final and routes the complete work once', async () => {
    const deps = await freshAdapters(open, undo, 'rcoi-works');
    const { db } = deps;
    await registerExam(db, { ...MOSCOW_EGE_02, id: 'exam-1' });
    const target: RequeueTarget = {
      add: (s, id, d) => stages.add(s, id, d),
      again: (s, key, d) => stages.again(s, key, d),
      addMany: (s, jobs) => stages.addMany(s, jobs),
      retryDead: (s, ids) => stages.retryDead(s, ids),
      counts: (s) => stages.counts(s),
    };
    const stages = inProcessStages(stageHandlers(deps, forms, target), 2);
    undo(() => stages.close());
    const two = await sheetTwo();
    const truthOf = (pageId: string, field: string) =>
      pageId.startsWith(sha256(two.file.bytes))
        ? field === SHEET_NUMBER_TASK
          ? (two.truth.sheetNumber ?? undefined)
          : two.truth.fields[field]?.value
        : corpusTruth(corpus, pageId, field);
    const batch = await ingestBatch(
      deps,
      { batch: 'b1', station: 's1', exam: 'exam-1', declared: {} },
      'upload',
      [...corpus, two.file],
    );
    await queueRecognition(stages, batch.newPages);
    await stages.idle();

    const sheets = await db.query<{ sheet_number: string; form: string }>(
      'select sheet_number, form from sheets order by form',
    );
    const number = (form: string) => sheets.find((s) => s.form.startsWith(form))!.sheet_number;
    const csv = `kit_id,registration,as1,as2_1,as2_2\nK1,${number('ege-registration')},${number('ege-as1')},${number('ege-as2-1')},${number('ege-as2-2')}\n`;
    const { kitIds } = await importKits(db, csv);
    await queueAssembly(stages, kitIds);
    await stages.idle();
    const workOf = async () =>
      (
        await db.query<{ id: string; status: string; route: string | null; exam_id: string | null }>(
          'select id, status, route, exam_id from works',
        )
      )[0];
    // Doubtful fields are still open on some of the five pages: assembled, not complete, not routed.
    const before = await workOf();
    expect(before).toMatchObject({ status: 'incomplete', route: null, exam_id: 'exam-1' });

    // The verifiers finish every page; each page that becomes final assembles its kit again.
    const verifier = { id: 'verifier-ana', senior: false };
    let finals = 0;
    for (let task = await takeNextTask(db, verifier); task; task = await takeNextTask(db, verifier)) {
      const value = truthOf(task.pageId, task.field) ?? task.value;
      const out = await decide(db, forms, verifier, task.id, { action: 'correct', value });
      if (out.pageFinal) {
        finals++;
        await queueFollowUp(db, stages, out.pageId);
      }
    }
    await stages.idle();
    expect(finals).toBeGreaterThan(0);
    const after = await workOf();
    // The corpus's AS2 sheet 1 has writing on it: the work goes to the experts, under the same code.
    expect(after).toEqual({ id: before!.id, status: 'complete', route: 'checking', exam_id: 'exam-1' });
    const roles = await db.query<{ role: string }>(
      'select role from work_sheets where work_id = $1 order by role',
      [after!.id],
    );
    expect(roles.map((r) => r.role)).toEqual(['additional-as2', 'as1', 'as2-1', 'as2-2', 'registration']);
    expect((await stages.counts('route')).completed).toBe(1);
    // Routed to checking: the first and second checks are open for the experts.
    const checks = await db.query<{ round: string; status: string }>(
      'select round, status from checks where work_id = $1 order by round',
      [after!.id],
    );
    expect(checks).toEqual([
      { round: 'first', status: 'open' },
      { round: 'second', status: 'open' },
    ]);
    expect(await stages.deadLetters('assemble')).toEqual([]);
  });
});
