/** Shared by tests. */

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openChecks } from '../checking/store.ts';
import { truthFor } from '../cli/demo.ts';
import type { Computation } from '../contract/results.ts';
import type { RulesOf, SubjectRules } from '../domain/checking.ts';
import type { SubjectScoring } from '../domain/scoring.ts';
import type { SubjectAnswers } from '../forms/answer-types.ts';
import { expandForm, shippedForms } from '../forms/definitions.ts';
import type { FormDefinition } from '../forms/schema.ts';
import { ingestBatch } from '../intake/ingest.ts';
import { openSource } from '../pipeline/decode.ts';
import { type PageResult, sha256 } from '../pipeline/page-job.ts';
import { SHEET_NUMBER_TASK } from '../pipeline/result.ts';
import type { Adapters } from '../platform/adapters.ts';
import { configFromEnv } from '../platform/config.ts';
import type { Database } from '../platform/db.ts';
import { registerExam } from '../platform/store/exams.ts';
import { controlKey, controlSample, recognisePageStage } from '../recognition/stage.ts';
import type { ScoringBasis } from '../results/basis.ts';
import { computeResults, setVariant } from '../results/store.ts';
import { CORPUS_DIR, corpusFiles, type GoldenPage } from '../samples/make-corpus.ts';
import { DEMO_EXAM, type RunningService, seedDemo, startService } from '../service/run.ts';

export { compare, registrationErrorMm } from '../samples/truth.ts';

export async function decodeFirstPage(bytes: Uint8Array) {
  return (await openSource(bytes)).page(0);
}

/**
 * Verification tasks the service opens for a golden page: one per doubtful field, except a result that
 * only copies its doubtful answer (they share the answer's task), plus one for a doubtful sheet number.
 */
function doubtTasks(page: GoldenPage): number {
  const copies = page.doubted.filter((n) => {
    const answer = n.replace(/^result\./, 'answer.');
    return answer !== n && page.doubted.includes(answer) && page.fields[n] === page.fields[answer];
  });
  return page.doubted.length - copies.length + (page.doubt.length > 0 ? 1 : 0);
}

/** The answers of a golden page (`FILE#N`, N from 1) its form's control sample draws, as recognition does. */
function controlDrawn(key: string, page: GoldenPage): number {
  const def = shippedForms().find((f) => f.id === page.form);
  if (!def) return 0;
  const [name, n] = key.split('#');
  const file = corpusFiles().find((f) => f.name === name)!;
  const fields = Object.fromEntries(
    Object.entries(page.fields).map(([f, value]) => [
      f,
      { value, confidence: 1, doubt: page.doubted.includes(f) ? ['low-confidence-character' as const] : [] },
    ]),
  );
  const r = { status: page.status as PageResult['status'], fields };
  return controlSample(expandForm(def), r, controlKey(sha256(file.bytes), Number(n) - 1)).length;
}

/** The corpus's golden pages' doubtful fields and verification tasks, the control sample's included. */
export function expectedVerification(golden: Record<string, GoldenPage>): {
  doubtful: number;
  tasks: number;
} {
  let doubtful = 0;
  let tasks = 0;
  for (const [key, page] of Object.entries(golden)) {
    const drawn = controlDrawn(key, page);
    doubtful += page.doubted.length + drawn;
    tasks += doubtTasks(page) + drawn;
  }
  return { doubtful, tasks };
}

/** The truth for a verification task on a corpus page: the generator's value for the field, or the sheet number. */
export function corpusTruth(
  files: { name: string; bytes: Uint8Array }[],
  pageId: string,
  field: string,
): string | undefined {
  const [hash, n] = pageId.split('#');
  const file = files.find((f) => sha256(f.bytes) === hash)!;
  const truth = truthFor(join(CORPUS_DIR, file.name), Number(n) - 1);
  if (field === SHEET_NUMBER_TASK) return truth?.sheetNumber ?? undefined;
  return truth?.fields[field]?.value;
}

/** The exam most tests process: EGE subject 02 on 1 June 2026, in Moscow. */
export const MOSCOW_EGE_02 = {
  id: '2026-ege-02',
  kind: 'EGE',
  subjectCode: '02',
  date: '2026-06-01',
  region: '77',
  timeZone: 'Europe/Moscow',
} as const;

/** The committed corpus uploaded as one batch of MOSCOW_EGE_02, every page recognised with `forms`. */
export async function recogniseCorpus(deps: Adapters, forms: FormDefinition[]): Promise<void> {
  await registerExam(deps.db, MOSCOW_EGE_02);
  const batch = await ingestBatch(
    deps,
    { batch: 'b1', station: 's1', exam: MOSCOW_EGE_02.id, declared: {} },
    'upload',
    corpusFiles(),
  );
  for (const id of batch.newPages) await recognisePageStage(deps, forms, id);
}

/**
 * A complete work of the demo exam made directly in the database from recognised answer sheets 2 (and the
 * registration form, when given), with its first and second checks open.
 */
export async function seedWork(
  db: Database,
  rulesOf: RulesOf,
  id: string,
  as2: string[],
  registration?: string,
): Promise<void> {
  await db.query(`insert into works (id, exam_id, status, route) values ($1, $2, 'complete', 'checking')`, [
    id,
    DEMO_EXAM,
  ]);
  const roles = ['as2-1', 'as2-2'];
  for (const [i, sheet] of as2.entries())
    await db.query(`insert into work_sheets (work_id, sheet_number, role) values ($1, $2, $3)`, [
      id,
      sheet,
      roles[i],
    ]);
  if (registration)
    await db.query(`insert into work_sheets (work_id, sheet_number, role) values ($1, $2, 'registration')`, [
      id,
      registration,
    ]);
  await db.transaction((tx) => openChecks(tx, rulesOf, id, 'checking'));
}

/** An expert with every eligibility the rules ask for: training, qualification, briefing, the seminar. */
export const ELIGIBLE = { trained: true, qualified: true, briefed: true, seminar: true } as const;

/**
 * Checking rules for EGE subject 02 in 2026 with the given tasks: a third check on a 2-point difference in
 * any task, two scores combined as their mean rounded up.
 */
export function fixtureRules(tasks: SubjectRules['tasks'], subject = 'test'): SubjectRules {
  return {
    year: 2026,
    exam: 'EGE',
    subjectCode: '02',
    subject,
    example: true,
    basis: 'test fixture',
    standardsSubject: 'Mathematics',
    tasks,
    thirdCheck: [{ kind: 'task-difference', atLeast: 2 }],
    combine: { kind: 'mean', rounding: 'up' },
  };
}

export interface DemoService {
  service: RunningService;
  /** The demo users' keys by user id. */
  tokens: Record<string, string>;
  /** What the first inbox scan did with the sample batch. */
  scanned: Awaited<ReturnType<RunningService['scan']>>;
  /** Stops the service and removes its data folder. */
  stop(): Promise<void>;
}

/**
 * The embedded default (PGlite, a folder, in-process stages) in a fresh folder, with the demo exam and users
 * and its sample batch recognised: the service as a newcomer meets it.
 */
export async function startDemo(prefix: string, extraEnv: Record<string, string> = {}): Promise<DemoService> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const service = await startService(configFromEnv({ RCOI_DATA_DIR: dir, ...extraEnv }), {
    pollMs: 60_000,
    concurrency: 2,
  });
  const tokens = await seedDemo(service);
  const scanned = await service.scan();
  await service.idle();
  return {
    service,
    tokens,
    scanned,
    async stop() {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A complete work of an exam whose answer sheet 1 (final, or still being verified) holds these `result.N`
 * values, made directly in the database; a final value stands over a read one, as after verification.
 */
export async function seedAs1Work(
  db: Database,
  examId: string,
  id: string,
  as1: { final: boolean; values: Record<string, string> },
): Promise<void> {
  const image = sha256(new TextEncoder().encode(id));
  const page = `${image}#1`;
  const sheet = `as1-${id}`;
  const status = as1.final ? 'final' : 'needs-verification';
  await db.query(
    `insert into images (sha256, object_key, bytes, media_type) values ($1, $1, 1, 'image/png')`,
    [image],
  );
  await db.query(
    `insert into pages (id, image_sha256, page_index, status, form, sheet_number)
     values ($1, $2, 0, $3, 'ege-as1-2023', $4)`,
    [page, image, status, sheet],
  );
  await db.query(
    `insert into sheets (sheet_number, page_id, form, kind, status, work_id)
     values ($1, $2, 'ege-as1-2023', 'answer-sheet-1', $3, $4)`,
    [sheet, page, status, id],
  );
  for (const [task, value] of Object.entries(as1.values))
    await db.query(
      `insert into fields (page_id, name, value, confidence, final_value, status) values ($1, $2, 'X', 1, $3, $4)`,
      [page, `result.${task}`, as1.final ? value : null, as1.final ? 'corrected' : 'doubtful'],
    );
  await db.query(`insert into works (id, exam_id, status, route) values ($1, $2, 'complete', 'checking')`, [
    id,
    examId,
  ]);
  await db.query(`insert into work_sheets (work_id, sheet_number, role) values ($1, $2, 'as1')`, [id, sheet]);
}

/** A sheet as the recognise stage and the verifiers leave it: page, sheet row, fields with final values. */
export async function finalSheet(
  db: Database,
  number: string,
  form: string,
  fields: Record<string, string | null> = {},
) {
  const sha = createHash('sha256').update(number).digest('hex');
  await db.query(
    `insert into images (sha256, object_key, bytes, media_type) values ($1, $1, 1, 'image/png')`,
    [sha],
  );
  await db.query(
    `insert into pages (id, image_sha256, page_index, status, form, sheet_number) values ($1, $2, 0, 'final', $3, $4)`,
    [`${sha}#1`, sha, form, number],
  );
  const kind = form.startsWith('ege-as1') ? 'answer-sheet-1' : form;
  await db.query(
    `insert into sheets (sheet_number, page_id, form, kind, status) values ($1, $2, $3, $4, 'final')`,
    [number, `${sha}#1`, form, kind],
  );
  for (const [name, value] of Object.entries(fields)) {
    await db.query(
      `insert into fields (page_id, name, value, confidence, final_value, status) values ($1, $2, $3, 1, $4, $5)`,
      [`${sha}#1`, name, value ?? '?', value, value === null ? 'doubtful' : 'accepted'],
    );
  }
}

const SMALL_SCORING: SubjectScoring = {
  year: 2026,
  exam: 'EGE',
  subjectCode: '02',
  subject: 'test',
  example: true,
  basis: 'test fixture',
  tasks: [{ from: 1, to: 2, compare: 'exact', points: [1] }],
  variants: { '7': { '1': '5', '2': '12' } },
  primaryMax: 5,
  scale: { kind: 'test-score', table: [0, 20, 40, 60, 80, 100] },
};
const SMALL_TYPES: SubjectAnswers = {
  ...SMALL_SCORING,
  tasks: [{ from: 1, to: 2, type: 'integer' }],
};
/** A small exam's basis: AS1 tasks 1-2 keyed for variant 7 (integers), task 4 (max 3) checked by experts. */
export const SMALL_EXAM_BASIS: ScoringBasis = {
  scoring: () => SMALL_SCORING,
  rules: () => fixtureRules([{ task: '4', criteria: [{ id: '4', max: 3 }] }]),
  answers: () => SMALL_TYPES,
};
export const ANALYTICS_EXAM = 'ege-02-analytics';

/**
 * An exam of complete results for analytics, computed by the real scoring: 2 AS1 tasks of 1 point and AS2
 * task 4 of 3 points (primary maximum 5). Exam point P1: 10 participants with everything right (5); P2: 10
 * with task 1 only (1); P3: 2 with task 1 and 2 of task 4 (3); one more work without a variant, withheld. P1
 * and P2 are school S1, P3 without a school.
 */
export async function seedAnalyticsExam(db: Database): Promise<Computation> {
  await registerExam(db, { ...MOSCOW_EGE_02, id: ANALYTICS_EXAM });
  await db.query(`insert into ppes (code, name) values ('P1', 'ППЭ 1'), ('P2', 'ППЭ 2'), ('P3', 'ППЭ 3')`);
  const groups = [
    { ppe: 'P1', school: 'S1', n: 10, task2: '12', as2: 3 },
    { ppe: 'P2', school: 'S1', n: 10, task2: '0', as2: 0 },
    { ppe: 'P3', school: null, n: 2, task2: '0', as2: 2 },
  ];
  for (const g of groups)
    for (let i = 0; i < g.n; i++) {
      const work = `${g.ppe}-${i}`;
      await seedAs1Work(db, ANALYTICS_EXAM, work, { final: true, values: { '1': '5', '2': g.task2 } });
      await db.query(
        `insert into work_results (work_id, scores, total, basis) values ($1, $2, $3, 'two-experts')`,
        [work, JSON.stringify({ '4': g.as2 }), g.as2],
      );
      await setVariant(db, work, '7', 'operator');
      const [p] = await db.query<{ id: number }>(
        `insert into personal.participants (exam_id, code, ppe_code, school, refused_processing)
         values ($1, $2, $3, $4, true) returning id`,
        [ANALYTICS_EXAM, work, g.ppe, g.school],
      );
      await db.query('insert into personal.participant_works (participant_id, work_id) values ($1, $2)', [
        p!.id,
        work,
      ]);
    }
  await seedAs1Work(db, ANALYTICS_EXAM, 'NOVAR', { final: true, values: { '1': '5', '2': '12' } });
  return computeResults(db, SMALL_EXAM_BASIS, ANALYTICS_EXAM, 'chair-1');
}
