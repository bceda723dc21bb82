/** What experts' statistics are computed from (checking/statistics.ts): the year's checks, appeals, reference works. */
import type { ExamKey, ExpertStatus, Round, Scores } from '../../domain/checking.ts';
import type { Queryable } from '../../platform/db.ts';

export interface CheckScores {
  workId: string;
  round: Round;
  tasks: string[];
  expertId: string;
  scores: Scores;
}

export interface StatisticsFacts {
  /** The subject's experts of the year, by user id. */
  experts: { expertId: string; status: ExpertStatus }[];
  /** Every submitted check of the subject's exams in the year, with its scores. */
  checks: CheckScores[];
  /** Decided appeals on those exams' works. */
  appeals: { workId: string; outcome: 'upheld' | 'rejected' }[];
  /** Reference works' known scores, by work. */
  reference: Map<string, Scores>;
}

export async function statisticsFacts(db: Queryable, subject: ExamKey): Promise<StatisticsFacts> {
  const experts = await db.query<{ expertId: string; status: ExpertStatus }>(
    `select user_id as "expertId", status from experts where year = $1 and subject_code = $2 order by user_id`,
    [subject.year, subject.subjectCode],
  );
  const rows = await db.query<{
    id: number;
    work_id: string;
    round: Round;
    tasks: string[];
    expert_id: string;
    criterion: string | null;
    points: number | null;
  }>(
    `select c.id, c.work_id, c.round, c.tasks, c.expert_id, s.criterion, s.points
     from checks c join exams e on e.id = c.exam_id left join scores s on s.check_id = c.id
     where e.year = $1 and e.kind = $2 and e.subject_code = $3 and c.status = 'submitted'`,
    [subject.year, subject.kind, subject.subjectCode],
  );
  const checks = new Map<number, CheckScores>();
  for (const r of rows) {
    let c = checks.get(r.id);
    if (!c) {
      c = { workId: r.work_id, round: r.round, tasks: r.tasks, expertId: r.expert_id, scores: {} };
      checks.set(r.id, c);
    }
    if (r.criterion !== null && r.points !== null) c.scores[r.criterion] = r.points;
  }
  const appeals = await db.query<{ workId: string; outcome: 'upheld' | 'rejected' }>(
    `select a.work_id as "workId", a.outcome from appeals a join works w on w.id = a.work_id
       join exams e on e.id = w.exam_id
     where a.status = 'decided' and e.year = $1 and e.kind = $2 and e.subject_code = $3`,
    [subject.year, subject.kind, subject.subjectCode],
  );
  const reference = new Map<string, Scores>();
  for (const r of await db.query<{ work_id: string; criterion: string; points: number }>(
    'select work_id, criterion, points from reference_scores',
  ))
    reference.set(r.work_id, { ...(reference.get(r.work_id) ?? {}), [r.criterion]: r.points });
  return { experts, checks: [...checks.values()], appeals, reference };
}
