/**
 * Each expert's figures for a year and subject, read from the checks themselves, judged by the standards
 * of domain/checking.ts: works checked (first and second checks), third checks through their fault, upheld
 * appeals on works they checked, agreement with reference works, and the status the figures qualify for.
 */
import type { ExpertStatistics } from '../contract/checking.ts';
import {
  type ExamKey,
  type ExpertRecord,
  type ExpertStandards,
  expertStanding,
  type Round,
  type RulesOf,
  thirdCheckFault,
} from '../domain/checking.ts';
import type { Queryable } from '../platform/db.ts';
import type { Figure } from '../platform/images.ts';
import { type CheckScores, statisticsFacts } from './store/statistics.ts';

export async function expertStatistics(
  db: Queryable,
  rulesOf: RulesOf,
  standards: ExpertStandards,
  subject: ExamKey,
): Promise<ExpertStatistics[]> {
  const rules = rulesOf(subject);
  const { experts, checks, appeals, reference } = await statisticsFacts(db, subject);
  const byWork = new Map<string, CheckScores[]>();
  for (const c of checks) byWork.set(c.workId, [...(byWork.get(c.workId) ?? []), c]);

  const record = new Map<string, ExpertRecord>(
    experts.map((x) => [
      x.expertId,
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
      (byWork.get(a.workId) ?? [])
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
    const r = record.get(x.expertId)!;
    return {
      ...x,
      ...r,
      ...expertStanding(standards, rules.standardsSubject, r),
    };
  });
}

const percent = (share: number | null) => (share === null ? null : Math.round(share * 1000) / 10);

/** The season's agreement of a subject's experts as a figure: every figure as a table, consistency charted. */
export function agreementFigure(stats: ExpertStatistics[], subject: ExamKey): Figure {
  return {
    header: [
      'expert',
      'status',
      'checked',
      'third_by_fault',
      'consistency_percent',
      'reference_scored',
      'reference_matched',
      'reference_agreement_percent',
      'appealed',
      'appeals_upheld',
      'qualifies_for',
    ],
    rows: stats.map((s) => [
      s.expertId,
      s.status,
      s.checked,
      s.thirdByFault,
      percent(s.consistency),
      s.referenceScored,
      s.referenceMatched,
      percent(s.referenceAgreement),
      s.appealed,
      s.appealsUpheld,
      s.qualifiesFor,
    ]),
    title: `Согласованность экспертов, %: ${subject.kind} ${subject.subjectCode}, ${subject.year}`,
    bars: stats.flatMap((s) =>
      s.consistency === null ? [] : [{ label: s.expertId, value: percent(s.consistency)! }],
    ),
    max: 100,
  };
}
