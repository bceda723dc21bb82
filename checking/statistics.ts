/**
 * Each expert's figures for a year and subject, read from the checks themselves, judged by the standards
 * of domain/checking.ts: works checked (first and second checks), third checks through their fault, upheld
 * appeals on works they checked, agreement with reference works, and the status the figures qualify for.
 */
import {
  type ExamKey,
  type ExpertRecord,
  type ExpertStandards,
  type ExpertStanding,
  type ExpertStatus,
  expertStanding,
  type RulesOf,
  type Scores,
  thirdCheckFault,
} from '../domain/checking.ts';
import type { Queryable } from '../platform/db.ts';
import type { Round } from './store.ts';

export interface ExpertStatistics extends ExpertRecord, ExpertStanding {
  expertId: string;
  status: ExpertStatus;
}

interface CheckScores {
  workId: string;
  round: Round;
  tasks: string[];
  expertId: string;
  scores: Scores;
}

export async function expertStatistics(
  db: Queryable,
  rulesOf: RulesOf,
  standards: ExpertStandards,
  subject: ExamKey,
): Promise<ExpertStatistics[]> {
  const rules = rulesOf(subject);
  const experts = await db.query<{ user_id: string; status: ExpertStatus }>(
    'select user_id, status from experts where year = $1 and subject_code = $2 order by user_id',
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
  const byWork = new Map<string, CheckScores[]>();
  for (const c of checks.values()) byWork.set(c.workId, [...(byWork.get(c.workId) ?? []), c]);

  const appeals = await db.query<{ work_id: string; outcome: 'upheld' | 'rejected' }>(
    `select a.work_id, a.outcome from appeals a join works w on w.id = a.work_id join exams e on e.id = w.exam_id
     where a.status = 'decided' and e.year = $1 and e.kind = $2 and e.subject_code = $3`,
    [subject.year, subject.kind, subject.subjectCode],
  );
  const reference = new Map<string, Scores>();
  for (const r of await db.query<{ work_id: string; criterion: string; points: number }>(
    'select work_id, criterion, points from reference_scores',
  ))
    reference.set(r.work_id, { ...(reference.get(r.work_id) ?? {}), [r.criterion]: r.points });

  const record = new Map<string, ExpertRecord>(
    experts.map((x) => [
      x.user_id,
      { checked: 0, thirdByFault: 0, appealed: 0, appealsUpheld: 0, referenceScored: 0, referenceMatched: 0 },
    ]),
  );
  const of = (id: string) => record.get(id);
  for (const [workId, list] of byWork) {
    const round = (r: Round) => list.find((c) => c.round === r);
    const [first, second, third] = [round('first'), round('second'), round('third')];
    for (const c of [first, second]) {
      const r = c && of(c.expertId);
      if (r) r.checked++;
    }
    if (first && second && third) {
      const fault = thirdCheckFault(rules, first.scores, second.scores, third);
      for (const [c, atFault] of [
        [first, fault.first],
        [second, fault.second],
      ] as const) {
        const r = of(c.expertId);
        if (r && atFault) r.thirdByFault++;
      }
    }
    const known = reference.get(workId);
    if (known) {
      for (const c of list.filter((x) => x.round === 'first' || x.round === 'second')) {
        const r = of(c.expertId);
        if (!r) continue;
        for (const [criterion, points] of Object.entries(c.scores)) {
          if (known[criterion] === undefined) continue;
          r.referenceScored++;
          if (known[criterion] === points) r.referenceMatched++;
        }
      }
    }
  }
  // An appeal counts against every expert who scored the work before it (first, second and third checks).
  for (const a of appeals) {
    const scorers = new Set(
      (byWork.get(a.work_id) ?? [])
        .filter((c) => c.round !== 'appeal' && c.round !== 'screening')
        .map((c) => c.expertId),
    );
    for (const id of scorers) {
      const r = of(id);
      if (!r) continue;
      r.appealed++;
      if (a.outcome === 'upheld') r.appealsUpheld++;
    }
  }
  return experts.map((x) => {
    const r = record.get(x.user_id)!;
    return {
      expertId: x.user_id,
      status: x.status,
      ...r,
      ...expertStanding(standards, rules.standardsSubject, r),
    };
  });
}
