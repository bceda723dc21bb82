/**
 * Experts of a year and subject as a chair registers them, and the facts what they may take turns on
 * (domain/checking.ts `mayTake`).
 */
import type { ExpertCandidate, ExpertRegistration } from '../../contract/checking.ts';
import type { Conflict, ExpertFacts, ExpertStatus } from '../../domain/checking.ts';
import { EXPERTS } from '../../platform/access.ts';
import type { Database, Queryable } from '../../platform/db.ts';
import { audit } from '../../platform/store/audit.ts';
import { CheckingError } from '../errors.ts';

export type { ExpertRegistration };

export async function registerExpert(db: Queryable, e: ExpertRegistration): Promise<void> {
  await db.query(
    `insert into experts (user_id, year, subject_code, status, trained, qualified, briefed, seminar, conflict, screening)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     on conflict (user_id, year, subject_code) do update set status = $4, trained = $5, qualified = $6,
       briefed = $7, seminar = $8, conflict = $9, screening = $10`,
    [
      e.userId,
      e.year,
      e.subjectCode,
      e.status,
      e.trained,
      e.qualified,
      e.briefed,
      e.seminar,
      e.conflict ?? 'none',
      e.screening ?? false,
    ],
  );
}

/** A chair's registration of an expert: only a user with an expert's or a chair's role. Audited. */
export async function enrolExpert(db: Database, chairId: string, e: ExpertRegistration): Promise<void> {
  await db.transaction(async (tx) => {
    const [user] = await tx.query<{ role: string }>('select role from users where id = $1', [e.userId]);
    if (!user || !EXPERTS.includes(user.role as (typeof EXPERTS)[number]))
      throw new CheckingError('bad-value', `${e.userId} is not an expert or chair user`);
    await registerExpert(tx, e);
    await audit(tx, chairId, 'checking.expert', `expert:${e.userId}`, {
      year: e.year,
      subject: e.subjectCode,
      status: e.status,
    });
  });
}

/** Enabled users who may check (experts and chairs), with their registration for the year and subject. */
export async function expertCandidates(
  db: Queryable,
  year: number,
  subjectCode: string,
): Promise<ExpertCandidate[]> {
  const rows = await db.query<{
    id: string;
    name: string;
    role: ExpertCandidate['role'];
    status: ExpertStatus | null;
    trained: boolean;
    qualified: boolean;
    briefed: boolean;
    seminar: boolean;
    conflict: Conflict;
    screening: boolean;
  }>(
    `select u.id, u.name, u.role, x.status, x.trained, x.qualified, x.briefed, x.seminar, x.conflict, x.screening
     from users u left join experts x on x.user_id = u.id and x.year = $1 and x.subject_code = $2
     where u.role = any($3::text[]) and u.disabled_at is null
     order by u.name, u.id`,
    [year, subjectCode, [...EXPERTS]],
  );
  return rows.map(({ id, name, role, status, ...x }) => ({
    userId: id,
    name,
    role,
    registration: status === null ? null : { status, ...x },
  }));
}

/** The expert as registered for the exam's year and subject; null if they are not. */
export async function expertFacts(
  tx: Queryable,
  expertId: string,
  examId: string,
): Promise<ExpertFacts | null> {
  const [x] = await tx.query<ExpertFacts>(
    `select x.status, x.trained, x.qualified, x.briefed, x.seminar, x.conflict, x.screening,
       exists (select 1 from checks d join exams de on de.id = d.exam_id
               where d.expert_id = $1 and d.status = 'submitted' and d.round in ('first', 'second')
                 and de.year = e.year) as "checkedThisYear"
     from exams e join experts x on x.year = e.year and x.subject_code = e.subject_code
     where e.id = $2 and x.user_id = $1`,
    [expertId, examId],
  );
  return x ?? null;
}

/** The exams of the subjects the expert is registered for, in exam order. */
export async function expertExams(tx: Queryable, expertId: string): Promise<string[]> {
  const exams = await tx.query<{ id: string }>(
    `select e.id from exams e join experts x on x.year = e.year and x.subject_code = e.subject_code
     where x.user_id = $1 order by e.exam_date, e.id`,
    [expertId],
  );
  return exams.map((e) => e.id);
}

/** The number an expert goes by on paper in a year and subject (never their name); null if not registered. */
export async function expertCode(
  tx: Queryable,
  expertId: string,
  year: number,
  subjectCode: string,
): Promise<string | null> {
  const [x] = await tx.query<{ code: string }>(
    'select code from experts where user_id = $1 and year = $2 and subject_code = $3',
    [expertId, year, subjectCode],
  );
  return x?.code ?? null;
}
