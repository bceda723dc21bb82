/**
 * What results are computed by, per exam: the subject's scoring (keys, rules, scale), its checking rules
 * (the AS2 tasks and their maxima) and its answer types (which answers are numbers). The shipped ones come
 * from calibration/, loaded once per year asked for.
 */
import {
  type ExamKey,
  examLabel,
  fileOfExam,
  loadSubjectRules,
  type RulesOf,
  type SubjectRules,
} from '../domain/checking.ts';
import { loadSubjectScoring, type SubjectScoring } from '../domain/scoring.ts';
import { type SubjectAnswers, shippedAnswers } from '../forms/answer-types.ts';
import { ResultsError } from './errors.ts';

export interface ScoringBasis {
  scoring(exam: ExamKey): SubjectScoring;
  rules: RulesOf;
  answers(exam: ExamKey): SubjectAnswers | undefined;
}

const bySubject = <T extends { exam: string; subjectCode: string; grade?: number }>(
  sets: T[],
  exam: ExamKey,
) => sets.find((s) => fileOfExam(s, exam));

/** A lookup by exam in per-year sets, loaded when a year is first asked for; a missing subject is `no-rules`. */
function perYear<T extends { exam: string; subjectCode: string; grade?: number }>(
  what: string,
  load: (year: number) => T[],
) {
  const years = new Map<number, T[]>();
  return (exam: ExamKey): T => {
    let sets = years.get(exam.year);
    if (!sets) {
      try {
        sets = load(exam.year);
      } catch (err) {
        throw new ResultsError('no-rules', (err as Error).message);
      }
      years.set(exam.year, sets);
    }
    const found = bySubject(sets, exam);
    if (!found) throw new ResultsError('no-rules', `no ${what} for ${examLabel(exam)} in ${exam.year}`);
    return found;
  };
}

/**
 * The shipped scoring, checking rules and answer types (calibration/scoring, checking, answers); the service
 * passes the checking rules it already holds.
 */
export function shippedBasis(
  given: { rules?: RulesOf; scoring?: (year: number) => SubjectScoring[] } = {},
): ScoringBasis {
  return {
    scoring: perYear('scoring', given.scoring ?? loadSubjectScoring),
    rules: given.rules ?? perYear<SubjectRules>('checking rules', loadSubjectRules),
    answers: (exam) => bySubject(shippedAnswers(exam.year), exam),
  };
}
