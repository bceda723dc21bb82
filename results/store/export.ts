/**
 * Results as they leave the system (issue 16 item 3): each complete result of an exam with what a layout or a
 * protocol may name (the participant, the exam point and school from the registration form), the answer
 * sheets a publication package shows, and the audit entry every export writes (who, what, how many rows).
 * Incomplete results never leave: they are counted as withheld.
 *
 * A participant who refused processing of personal data (`personal.participants.refused_processing`, from the
 * regional import) leaves under the work code only: the writer and protocols drop their name whatever the
 * layout asks, and the database holds none. The exam point and school are the regional system's where it
 * registered the participant, else the registration form's.
 */
import type { ExportRow } from '../../domain/results-export.ts';
import { type ExamKind, examForm, type Grade } from '../../domain/retention.ts';
import type { TaskMark } from '../../domain/scoring.ts';
import type { Queryable } from '../../platform/db.ts';
import { audit } from '../../platform/store/audit.ts';
import { ResultsError } from '../errors.ts';

export interface ExamResults {
  exam: { id: string; year: number; kind: string; form: string; subjectCode: string; date: string };
  rows: ExportRow[];
  /** Results not complete yet (checks pending, an appeal, no variant…): not exported. */
  withheld: number;
}

interface Row {
  work_id: string;
  status: string;
  variant: string | null;
  as1: number | null;
  as2: number | null;
  primary_score: number | null;
  score: number | null;
  scale: ExportRow['scale'];
  tasks: TaskMark[];
  refused: boolean;
  surname: string | null;
  name: string | null;
  patronymic: string | null;
  document: string | null;
  ppe: string | null;
  school: string | null;
}

const blankToNull = (v: string | null) => (v === null || v.trim() === '' ? null : v.trim());

/** An exam's stored results, complete ones as rows by work code, with the participant behind each. */
export async function examResults(db: Queryable, examId: string): Promise<ExamResults> {
  const [exam] = await db.query<{
    year: number;
    kind: ExamKind;
    grade: Grade | null;
    subject_code: string;
    exam_date: string;
  }>(
    `select year, kind, grade, subject_code, to_char(exam_date, 'YYYY-MM-DD') as exam_date from exams
     where id = $1`,
    [examId],
  );
  if (!exam) throw new ResultsError('no-such-exam', `no exam ${examId}`);
  const form = examForm(exam.kind, exam.grade) ?? exam.kind;
  const rows = await db.query<Row>(
    `select r.work_id, r.status, r.variant, r.as1, r.as2, r.primary_score, r.score, r.scale, r.tasks,
       coalesce(p.refused_processing, false) as refused, p.surname, p.name, p.patronymic, p.document,
       coalesce(p.ppe_code, ppe.final_value, ppe.value) as ppe,
       coalesce(p.school, school.final_value, school.value) as school
     from participant_results r
       left join personal.participant_works pw on pw.work_id = r.work_id
       left join personal.participants p on p.id = pw.participant_id
       left join work_sheets reg on reg.work_id = r.work_id and reg.role = 'registration'
       left join sheets s on s.sheet_number = reg.sheet_number
       left join fields ppe on ppe.page_id = s.page_id and ppe.name = 'ppe_code'
       left join fields school on school.page_id = s.page_id and school.name = 'school_code'
     where r.exam_id = $1 order by r.work_id`,
    [examId],
  );
  const complete = rows.filter((r) => r.status === 'complete');
  return {
    exam: {
      id: examId,
      year: exam.year,
      kind: exam.kind,
      form,
      subjectCode: exam.subject_code,
      date: exam.exam_date,
    },
    withheld: rows.length - complete.length,
    rows: complete.map((r) => ({
      code: r.work_id,
      refused: r.refused,
      surname: blankToNull(r.surname),
      name: blankToNull(r.name),
      patronymic: blankToNull(r.patronymic),
      document: blankToNull(r.document),
      examId,
      examKind: exam.kind,
      examForm: form,
      subjectCode: exam.subject_code,
      examDate: exam.exam_date,
      ppe: blankToNull(r.ppe),
      school: blankToNull(r.school),
      variant: r.variant,
      as1: r.as1!,
      as2: r.as2!,
      primary: r.primary_score!,
      score: r.score!,
      scale: r.scale,
      tasks: r.tasks,
    })),
  };
}

const SHEET_TITLES = { as1: 'as1', 'as2-1': 'as2-1', 'as2-2': 'as2-2', 'additional-as2': 'as2-add' } as const;

export interface PublishedSheet {
  workId: string;
  /** The file's name in the package: `as1`, `as2-1`, `as2-2`, `as2-add-N`. */
  name: string;
  pageId: string;
}

/** The answer sheets (never the registration form) of an exam's complete results, in reading order. */
export async function publishedSheets(db: Queryable, examId: string): Promise<PublishedSheet[]> {
  const rows = await db.query<{
    work_id: string;
    role: keyof typeof SHEET_TITLES;
    n: number | null;
    page_id: string;
  }>(
    `select ws.work_id, ws.role, ws.chain_position as n, s.page_id
     from participant_results r
       join work_sheets ws on ws.work_id = r.work_id and ws.role <> 'registration'
       join sheets s on s.sheet_number = ws.sheet_number
     where r.exam_id = $1 and r.status = 'complete'
     order by ws.work_id,
       case ws.role when 'as1' then 0 when 'as2-1' then 1 when 'as2-2' then 2 else 3 end, ws.chain_position`,
    [examId],
  );
  return rows.map((r) => ({
    workId: r.work_id,
    name: r.n === null ? SHEET_TITLES[r.role] : `${SHEET_TITLES[r.role]}-${r.n}`,
    pageId: r.page_id,
  }));
}

/** What an export writes to the audit trail: who (the actor), what (kind, layout, digest), how many rows. */
export async function auditExport(
  db: Queryable,
  actor: string,
  action: 'export.results' | 'export.results-protocols' | 'export.publication',
  examId: string,
  detail: { rows: number; withheld: number } & Record<string, unknown>,
): Promise<void> {
  await audit(db, actor, action, `exam:${examId}`, detail);
}
