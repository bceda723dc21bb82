/**
 * Expert checking in the database, by concern in store/: experts, checks, distribution (take, pull, assign),
 * scores and results, appeals, protocols, progress and statistics. This file is the room's store as the other
 * rooms and the tests call it, and holds the checking rules the service opens checks by.
 */

import {
  examLabel,
  fileOfExam,
  loadSubjectRules,
  type RulesOf,
  type SubjectRules,
} from '../domain/checking.ts';
import { CheckingError } from './errors.ts';

export { CheckingError } from './errors.ts';
export * from './store/appeals.ts';
export * from './store/checks.ts';
export * from './store/distribution.ts';
export * from './store/drafts.ts';
export * from './store/experts.ts';
export * from './store/overdue.ts';
export * from './store/progress.ts';
export * from './store/protocols.ts';
export * from './store/scores.ts';

/** The shipped rules (calibration/checking/), loaded once a year is asked for. */
export function shippedRules(load: (year: number) => SubjectRules[] = loadSubjectRules): RulesOf {
  const years = new Map<number, SubjectRules[]>();
  return (exam) => {
    let sets = years.get(exam.year);
    if (!sets) {
      sets = load(exam.year);
      years.set(exam.year, sets);
    }
    const rules = sets.find((r) => fileOfExam(r, exam));
    if (!rules)
      throw new CheckingError('no-rules', `no checking rules for ${examLabel(exam)} in ${exam.year}`);
    return rules;
  };
}
