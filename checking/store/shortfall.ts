/**
 * Why a pull gave an expert fewer checks than asked (contract/checking.ts `PullShortfall`): so a chair sees
 * that the expert is not admitted, or that what waits is an appeal they may not take yet, rather than a bare 0.
 */
import type { PullShortfall } from '../../contract/checking.ts';
import { type ExpertFacts, mayTake } from '../../domain/checking.ts';
import type { Queryable } from '../../platform/db.ts';
import { expertExams, expertFacts } from './experts.ts';

const ADMISSIONS = ['trained', 'qualified', 'briefed', 'seminar'] as const;

/** Every reason that holds, the expert's own first (registration, admission), then what the pool holds. */
export async function pullShortfall(tx: Queryable, expertId: string, now: Date): Promise<PullShortfall[]> {
  const exams = await expertExams(tx, expertId);
  if (exams.length === 0) return [{ code: 'not-registered', params: {} }];
  const byExam = await Promise.all(exams.map((e) => expertFacts(tx, expertId, e)));
  const facts = byExam.filter((f): f is ExpertFacts => f !== null);
  const missing = ADMISSIONS.filter((a) => facts.every((f) => !f[a]));
  if (missing.length > 0) return [{ code: 'not-admitted', params: { missing } }];
  const conflicted = facts.find((f) => f.conflict !== 'none' && f.conflict !== 'cleared');
  if (conflicted && facts.every((f) => mayTake(f).length === 0))
    return [{ code: 'conflict', params: { conflict: conflicted.conflict } }];
  // What waits in the expert's exams (open, or leased and run out), by round, and how much of it is of works
  // the expert has checked already.
  const waiting = await tx.query<{ exam_id: string; round: string; n: number; own: number }>(
    `select c.exam_id, c.round, count(*)::int as n,
       count(*) filter (where exists (select 1 from checks o where o.work_id = c.work_id and o.expert_id = $1))::int
         as own
     from checks c
     where c.exam_id = any($2::text[])
       and (c.status = 'open' or (c.status = 'assigned' and c.assigned_by is null and c.leased_until < $3))
     group by c.exam_id, c.round`,
    [expertId, exams, now],
  );
  const reasons: PullShortfall[] = [];
  const barred: Record<string, number> = {};
  let own = 0;
  for (const w of waiting) {
    const f = byExam[exams.indexOf(w.exam_id)];
    const rounds: string[] = f ? mayTake(f) : [];
    if (!rounds.includes(w.round)) barred[w.round] = (barred[w.round] ?? 0) + w.n;
    else own += w.own;
  }
  if (Object.keys(barred).length > 0) {
    const best = facts.find((f) => f.status !== 'main') ?? facts[0]!;
    reasons.push({
      code: 'rounds-not-allowed',
      params: { rounds: barred, status: best.status, checkedThisYear: facts.some((f) => f.checkedThisYear) },
    });
  }
  if (own > 0) reasons.push({ code: 'own-works', params: { checks: own } });
  return reasons.length > 0 ? reasons : [{ code: 'pool-empty', params: {} }];
}
