/**
 * Answer-sheet-1 scoring and a participant's result as pure decisions of data (domain/scoring.ts,
 * calibration/scoring/<year>/): each short answer against its key by its task's rule, the conversion of the
 * primary total by the subject's scale, what keeps a result incomplete, and what a recomputation changed.
 * Issue 16 item 1; domain brief, "The rest of the season": GVE's primary score "is converted into a
 * five-point mark by the approved scale" (order L383-385), as the EGE's by its 100-point table.
 */
import { describe, expect, it } from 'vitest';
import { loadSubjectRules, type SubjectRules } from '../domain/checking.ts';
import {
  answerPoints,
  canonicalNumber,
  convert,
  type IncompleteReason,
  loadSubjectScoring,
  type ParticipantResult,
  parseSubjectScoring,
  participantResult,
  type ResultFacts,
  resultChange,
  type Scale,
  type ScoringRule,
  type SubjectScoring,
  scoringDigest,
} from '../domain/scoring.ts';
import { type AnswerType, answerTypeOf, loadSubjectAnswers, TYPE_PATTERN } from '../forms/answer-types.ts';
import { fixtureRules } from './helpers.ts';

const rule = (compare: ScoringRule['compare'], points: number[]): ScoringRule => ({
  from: 1,
  to: 1,
  compare,
  points,
});
const EXACT = rule('exact', [1]);
const SET_1 = rule('set', [1]);
const SET_2_1 = rule('set', [2, 1]);
const SEQUENCE_2_1 = rule('sequence', [2, 1]);

describe('a short answer against its key', () => {
  it.each<[string, ScoringRule, AnswerType, string | string[], string, number]>([
    ['exact match', EXACT, 'cyrillic-word', 'ВОДА', 'ВОДА', 1],
    ['exact: another word', EXACT, 'cyrillic-word', 'ВОДА', 'ВОДЫ', 0],
    ['exact: a blank answer scores nothing', EXACT, 'cyrillic-word', 'ВОДА', '', 0],
    ['exact: either accepted alternative', EXACT, 'cyrillic-word', ['ВСЁ-ТАКИ', 'ВСЕ-ТАКИ'], 'ВСЕ-ТАКИ', 1],
    ['exact: compared in capitals', EXACT, 'latin-word', 'WAX', 'wax', 1],
    // Numbers by value where the task's answer type is a number.
    ['a decimal with a trailing zero is the same number', EXACT, 'decimal', '0,5', '0,50', 1],
    ['a decimal written without its leading zero', EXACT, 'decimal', '0,5', ',5', 1],
    ['an integer and its decimal form', EXACT, 'decimal', '4', '4,0', 1],
    ['minus zero is zero', EXACT, 'integer', '0', '-0', 1],
    ['a different number', EXACT, 'decimal', '0,5', '0,05', 0],
    ['the sign matters', EXACT, 'decimal', '-1,5', '1,5', 0],
    ['word-or-number: a year by value', EXACT, 'word-or-number', '1812', '1812,0', 1],
    ['word-or-number: a word as written', EXACT, 'word-or-number', 'ПЁТР', 'ПЁТР', 1],
    // A digit sequence is no number: its zeros count.
    ['digits are compared as written', EXACT, 'digits', '0135', '135', 0],
    ['free text is compared as written', EXACT, 'free', '0,5', ',5', 0],
    // Order-free sets: `135` = `531`.
    ['a set in another order', SET_1, 'digits', '135', '531', 1],
    ['a set with one digit missing, all-or-nothing', SET_1, 'digits', '135', '13', 0],
    ['a set of two points in any order', SET_2_1, 'digits', '135', '351', 2],
    ['a set with one digit too many: one error', SET_2_1, 'digits', '135', '1345', 1],
    ['a set with one digit missing: one error', SET_2_1, 'digits', '135', '35', 1],
    ['a set with one wrong digit in place of a right one: one error', SET_2_1, 'digits', '135', '134', 1],
    ['a set with two errors scores nothing', SET_2_1, 'digits', '135', '1246', 0],
    ['a set with a repeated digit: the repeat is an error', SET_2_1, 'digits', '135', '1135', 1],
    // Sequences: a matching, symbol by symbol in place.
    ['a matching all right', SEQUENCE_2_1, 'digits', '2413', '2413', 2],
    ['a matching with one position wrong', SEQUENCE_2_1, 'digits', '2413', '2414', 1],
    ['a matching with two swapped: two errors', SEQUENCE_2_1, 'digits', '2413', '4213', 0],
    ['a matching one digit short: one error', SEQUENCE_2_1, 'digits', '2413', '241', 1],
  ])('%s', (_case, r, type, key, answer, points) => {
    expect(answerPoints(r, type, key, answer)).toBe(points);
  });

  it.each<[string, string | null]>([
    ['0,50', '0,5'],
    [',5', '0,5'],
    ['-0,0', '0'],
    ['007', '7'],
    ['-12', '-12'],
    ['1,2,3', null],
    ['-', null],
    ['', null],
    ['12А', null],
  ])('reads %j as the number %j', (text, canonical) => {
    expect(canonicalNumber(text)).toBe(canonical);
  });
});

describe('the primary score converted by the subject scale', () => {
  const TEST_SCORE: Scale = { kind: 'test-score', table: [0, 5, 9, 14, 20] };
  // A GVE five-point scale: 0-4 → 2, 5-8 → 3, 9-12 → 4, 13+ → 5.
  const MARKS: Scale = {
    kind: 'mark',
    bands: [
      { from: 0, mark: 2 },
      { from: 5, mark: 3 },
      { from: 9, mark: 4 },
      { from: 13, mark: 5 },
    ],
  };
  it.each<[string, Scale, number, number]>([
    ['EGE: a table entry', TEST_SCORE, 3, 14],
    ['EGE: zero', TEST_SCORE, 0, 0],
    ['EGE: the maximum', TEST_SCORE, 4, 20],
    ['GVE: below the first threshold', MARKS, 4, 2],
    ['GVE: exactly at a threshold', MARKS, 5, 3],
    ['GVE: the top band', MARKS, 20, 5],
    ['GVE: zero', MARKS, 0, 2],
  ])('%s', (_case, scale, primary, score) => {
    expect(convert(scale, primary)).toBe(score);
  });

  it('refuses a primary score the table does not reach', () => {
    expect(() => convert(TEST_SCORE, 5)).toThrow(/beyond/);
  });
});

/** A small subject: tasks 1-3 short, task 4 checked by experts (max 3); a GVE five-point scale. */
const RULES: SubjectRules = fixtureRules([{ task: '4', criteria: [{ id: '4', max: 3 }] }]);
const SCORING: SubjectScoring = {
  year: 2026,
  exam: 'GVE',
  subjectCode: '02',
  subject: 'test',
  example: true,
  basis: 'test fixture',
  tasks: [
    { from: 1, to: 2, compare: 'exact', points: [1] },
    { from: 3, to: 3, compare: 'set', points: [2, 1] },
  ],
  variants: { '7': { '1': '2,5', '2': '12', '3': '135' } },
  primaryMax: 7,
  scale: {
    kind: 'mark',
    bands: [
      { from: 0, mark: 2 },
      { from: 3, mark: 3 },
      { from: 5, mark: 4 },
      { from: 7, mark: 5 },
    ],
  },
};
/** The five-point scale of a subject whose 3 points are all the experts'. */
const ESSAY_SCALE: Scale = {
  kind: 'mark',
  bands: [
    { from: 0, mark: 2 },
    { from: 1, mark: 3 },
    { from: 2, mark: 4 },
    { from: 3, mark: 5 },
  ],
};
const TYPES = {
  year: 2026,
  exam: 'GVE' as const,
  subjectCode: '02',
  subject: 'test',
  example: true,
  basis: 'test fixture',
  tasks: [
    { from: 1, to: 2, type: 'decimal' as const },
    { from: 3, to: 3, type: 'digits' as const },
  ],
};
const FACTS: ResultFacts = {
  workComplete: true,
  variant: '7',
  as1: { state: 'final', values: { '1': '2,50', '2': '13', '3': '153' } },
  as2: { '4': 2 },
  appealPending: false,
};

describe('a participant result from the scored AS1 and the experts AS2', () => {
  it('adds both parts, per task, and converts the total', () => {
    expect(participantResult(SCORING, TYPES, RULES, FACTS)).toEqual({
      status: 'complete',
      reasons: [],
      variant: '7',
      as1: 3,
      as2: 2,
      primary: 5,
      score: 4,
      scale: 'mark',
      tasks: [
        { part: 'as1', task: '1', points: 1, max: 1 },
        { part: 'as1', task: '2', points: 0, max: 1 },
        { part: 'as1', task: '3', points: 2, max: 2 },
        { part: 'as2', task: '4', points: 2, max: 3 },
      ],
    } satisfies ParticipantResult);
  });

  it.each<[string, Partial<ResultFacts>, IncompleteReason[], { as1: number | null; as2: number | null }]>([
    ['checks still pending', { as2: null }, ['checks-pending'], { as1: 3, as2: null }],
    ['an appeal being re-checked', { appealPending: true }, ['appeal-pending'], { as1: 3, as2: 2 }],
    ['the AS1 not final', { as1: { state: 'not-final' } }, ['as1-not-final'], { as1: null, as2: 2 }],
    ['no AS1 in the work', { as1: { state: 'missing' } }, ['as1-missing'], { as1: null, as2: 2 }],
    ['no variant known', { variant: null }, ['no-variant'], { as1: null, as2: 2 }],
    ['a variant with no key', { variant: '9' }, ['unknown-variant'], { as1: null, as2: 2 }],
    ['the work not assembled', { workComplete: false }, ['work-incomplete'], { as1: 3, as2: 2 }],
    [
      'every reason that holds',
      { as2: null, as1: { state: 'not-final' } },
      ['as1-not-final', 'checks-pending'],
      { as1: null, as2: null },
    ],
  ])('is incomplete with %s', (_case, facts, reasons, parts) => {
    const result = participantResult(SCORING, TYPES, RULES, { ...FACTS, ...facts });
    expect(result).toMatchObject({ status: 'incomplete', reasons, ...parts, primary: null, score: null });
  });

  // A subject whose whole work is extended answers (GVE Russian, OGE literature): no AS1 tasks, no keys; the
  // AS1 part is 0 of 0 and neither a variant nor an answer sheet 1 is waited for.
  const ESSAY: SubjectScoring = { ...SCORING, tasks: [], variants: {}, primaryMax: 3, scale: ESSAY_SCALE };
  it.each<[string, Partial<ResultFacts>, Partial<ParticipantResult>]>([
    [
      'no variant and no AS1: the experts part alone, converted',
      { variant: null, as1: { state: 'missing' } },
      { status: 'complete', reasons: [], as1: 0, as2: 2, primary: 2, score: 4 },
    ],
    [
      'a variant named anyway changes nothing',
      { variant: '7', as1: { state: 'missing' } },
      { status: 'complete', as1: 0, primary: 2, score: 4 },
    ],
    [
      'full marks: the top band',
      { variant: null, as1: { state: 'missing' }, as2: { '4': 3 } },
      { status: 'complete', as1: 0, as2: 3, primary: 3, score: 5 },
    ],
    [
      'checks pending: only that',
      { variant: null, as1: { state: 'missing' }, as2: null },
      { status: 'incomplete', reasons: ['checks-pending'], as1: 0, as2: null, primary: null },
    ],
  ])('with no short answers: %s', (_case, facts, expected) => {
    const result = participantResult(ESSAY, undefined, RULES, { ...FACTS, ...facts });
    expect(result).toMatchObject(expected);
    expect(result.tasks).toEqual(
      facts.as2 === null ? [] : [{ part: 'as2', task: '4', points: result.as2, max: 3 }],
    );
  });

  it('says what a changed key changed, per task, and nothing when nothing changed', () => {
    const before = participantResult(SCORING, TYPES, RULES, FACTS);
    const fixed = { ...SCORING, variants: { '7': { '1': '2,5', '2': '13', '3': '135' } } };
    const after = participantResult(fixed, TYPES, RULES, FACTS);
    expect(resultChange(before, after)).toEqual({
      status: ['complete', 'complete'],
      primary: [5, 6],
      score: [4, 4],
      tasks: [{ part: 'as1', task: '2', points: [0, 1] }],
    });
    expect(resultChange(before, participantResult(SCORING, TYPES, RULES, FACTS))).toBeNull();
    expect(scoringDigest(fixed)).not.toBe(scoringDigest(SCORING));
  });

  it('says when a result becomes complete', () => {
    const before = participantResult(SCORING, TYPES, RULES, { ...FACTS, as2: null });
    const change = resultChange(before, participantResult(SCORING, TYPES, RULES, FACTS));
    expect(change).toMatchObject({
      status: ['incomplete', 'complete'],
      primary: [null, 5],
      tasks: [{ part: 'as2', task: '4', points: [null, 2] }],
    });
  });
});

describe('the shipped scoring files', () => {
  const scoring = loadSubjectScoring(2026);
  const answers = loadSubjectAnswers(2026);
  const rules = loadSubjectRules(2026);

  const withShortAnswers = scoring.filter((s) => s.tasks.length > 0);

  it('scores every subject whose short answers are typed', () => {
    const subjects = (xs: { exam: string; subjectCode: string }[]) =>
      xs.map((x) => `${x.exam} ${x.subjectCode}`);
    expect(subjects(withShortAnswers).sort()).toEqual(subjects(answers).sort());
  });

  it.each(withShortAnswers.map((s) => [s.subject, s] as const))(
    '%s: keys every short-answer task',
    (_s, s) => {
      const types = answers.find((a) => a.exam === s.exam && a.subjectCode === s.subjectCode);
      if (!types) throw new Error(`no answer types for ${s.exam} ${s.subject}`);
      const tasks = (ranges: { from: number; to: number }[]) =>
        ranges.flatMap((r) => Array.from({ length: r.to - r.from + 1 }, (_, i) => r.from + i));
      // The tasks scored from AS1 are exactly the subject's typed short answers.
      expect(tasks(s.tasks)).toEqual(tasks(types.tasks));
      // Every key is an answer its task's type can read.
      for (const keys of Object.values(s.variants))
        for (const [task, key] of Object.entries(keys))
          for (const k of [key].flat())
            expect(k, `task ${task}`).toMatch(TYPE_PATTERN[answerTypeOf(types, +task)]);
      // The maximum is the short answers' plus the experts' criteria, and the scale spans it.
      const as1 = s.tasks.reduce((a, r) => a + r.points[0]! * (r.to - r.from + 1), 0);
      const subjectRules = rules.find((r) => r.exam === s.exam && r.subjectCode === s.subjectCode);
      if (!subjectRules) throw new Error(`no checking rules for ${s.exam} ${s.subject}`);
      const as2 = subjectRules.tasks.flatMap((t) => t.criteria).reduce((a, c) => a + c.max, 0);
      expect(s.primaryMax).toBe(as1 + as2);
      expect(convert(s.scale, s.primaryMax)).toBe(s.scale.kind === 'test-score' ? 100 : 5);
      expect(s.example).toBe(true);
    },
  );

  it.each<[string, Partial<SubjectScoring> | Record<string, unknown>, RegExp]>([
    [
      'a task in two ranges',
      { tasks: [...SCORING.tasks, { from: 2, to: 2, compare: 'exact', points: [1] }] },
      /task 2 in two ranges/,
    ],
    ['a variant missing a key', { variants: { '7': { '1': '2,5', '3': '135' } } }, /no key for 2/],
    ['a key for no task', { variants: { '7': { ...SCORING.variants['7'], '9': '1' } } }, /not a task: 9/],
    [
      'partial credit on an exact answer',
      { tasks: [{ from: 1, to: 3, compare: 'exact', points: [2, 1] }] },
      /right or wrong/,
    ],
    ['points that do not fall', { tasks: [{ from: 1, to: 3, compare: 'set', points: [1, 1] }] }, /fall/],
    ['a table of the wrong size', { scale: { kind: 'test-score', table: [0, 100] } }, /8 entries/],
    ['a falling table', { scale: { kind: 'test-score', table: [0, 5, 4, 6, 7, 8, 9, 10] } }, /must not fall/],
    ['bands not from 0', { scale: { kind: 'mark', bands: [{ from: 1, mark: 2 }] } }, /bands start at 0/],
    ['a mark of 6', { scale: { kind: 'mark', bands: [{ from: 0, mark: 6 }] } }, /mark/],
  ])('refuses %s, naming it', (_case, change, message) => {
    expect(() => parseSubjectScoring({ ...SCORING, ...change }, 2026, 'gve-test.json')).toThrow(message);
  });

  it('takes a subject with no short answers: no tasks, no variants (or none keyed), and refuses keys for it', () => {
    const essay = { ...SCORING, tasks: [], primaryMax: 3, scale: ESSAY_SCALE };
    const { variants: _, ...none } = essay;
    expect(parseSubjectScoring(none, 2026, 'gve-test.json').variants).toEqual({});
    expect(parseSubjectScoring({ ...essay, variants: {} }, 2026, 'gve-test.json').tasks).toEqual([]);
    expect(() => parseSubjectScoring(essay, 2026, 'gve-test.json')).toThrow(/not a task: 1,2,3/);
    expect(() => parseSubjectScoring({ ...SCORING, variants: {} }, 2026, 'gve-test.json')).toThrow(
      /no variant keyed/,
    );
  });

  it('refuses a file named for another subject or year', () => {
    expect(() => parseSubjectScoring(SCORING, 2026, 'gve-other.json')).toThrow(/declares gve-test.json/);
    expect(() => parseSubjectScoring(SCORING, 2027, 'gve-test.json')).toThrow(/declares year 2026/);
  });
});
