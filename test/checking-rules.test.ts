/**
 * The shipped 2026 checking rules (calibration/checking/2026) driven through the pure decisions of
 * domain/checking.ts: every trigger at its boundary, the scope of the third check, the combined result,
 * score validation, the schema's cross-checks and experts' standing against the standards tables.
 */
import { describe, expect, it } from 'vitest';
import {
  checkScores,
  type ExpertRecord,
  type ExpertStatus,
  expertStanding,
  loadExpertStandards,
  loadSubjectRules,
  resultScores,
  ScoreError,
  type Scores,
  type SubjectRules,
  SubjectRulesSchema,
  type ThirdCheckDecision,
  thirdCheckDecision,
  thirdCheckFault,
  total,
} from '../domain/checking.ts';
import { fixtureRules } from './helpers.ts';

const RULES = loadSubjectRules(2026);
const STANDARDS = loadExpertStandards(2026);

function rulesFor(subject: string): SubjectRules {
  const rules = RULES.find((r) => r.subject === subject);
  if (!rules) throw new Error(`no rules for ${subject}`);
  return rules;
}

/** A partial score sheet: unnamed criteria are 0, or their maximum when given as ['max', {...}]. */
type Sheet = Scores | ['max', Scores];

/** A full, valid score object from a partial one (a typo in a row fails here, not silently). */
function fill(rules: SubjectRules, sheet: Sheet): Scores {
  const [base, partial] = Array.isArray(sheet) ? sheet : ['zero' as const, sheet];
  const out: Scores = {};
  for (const t of rules.tasks) for (const c of t.criteria) out[c.id] = base === 'max' ? c.max : 0;
  Object.assign(out, partial);
  checkScores(rules, out);
  return out;
}

/** The decision without its wording: what a row states. */
type Expected = { due: false } | { due: true; tasks: string[] };

function summary(d: ThirdCheckDecision): Expected {
  if (!d.due) return { due: false };
  expect(d.reasons.length).toBeGreaterThan(0);
  return { due: true, tasks: d.tasks };
}

const NOT_DUE = { due: false } as const;
const due = (...tasks: string[]): Expected => ({ due: true, tasks });

/** [case, first expert, second expert, decision, combined result: total, some criteria, or null when due]. */
type Row = [string, Sheet, Sheet, Expected, number | Scores | null];

function runRow(
  subject: string,
  first: Sheet,
  second: Sheet,
  decision: Expected,
  result: number | Scores | null,
) {
  const rules = rulesFor(subject);
  const a = fill(rules, first);
  const b = fill(rules, second);
  expect(summary(thirdCheckDecision(rules, a, b))).toEqual(decision);
  // The decision does not depend on which expert was first.
  expect(summary(thirdCheckDecision(rules, b, a))).toEqual(decision);
  if (result === null) return;
  const combined = resultScores(rules, a, b);
  checkScores(rules, combined);
  if (typeof result === 'number') expect(total(rules, combined)).toBe(result);
  else expect(combined).toMatchObject(result);
}

describe('shipped 2026 rule sets', () => {
  it('loads all seven subjects, each an example with mean-rounded-up combining', () => {
    expect(RULES.map((r) => r.subject)).toEqual([
      'english',
      'history',
      'literature',
      'mathematics-profile',
      'physics',
      'russian',
      'social-studies',
    ]);
    for (const r of RULES) {
      expect(r).toMatchObject({
        year: 2026,
        exam: 'EGE',
        example: true,
        combine: { kind: 'mean', rounding: 'up' },
      });
      expect(r.basis).toMatch(/example/i);
    }
    expect(new Set(RULES.map((r) => r.subjectCode)).size).toBe(RULES.length);
  });

  it('uses every trigger kind the schema defines', () => {
    const defined = SubjectRulesSchema.shape.thirdCheck.element.options.map((o) => o.shape.kind.value);
    expect(defined).toHaveLength(5);
    const used = new Set(RULES.flatMap((r) => r.thirdCheck.map((t) => t.kind)));
    expect([...used].sort()).toEqual([...defined].sort());
  });

  it('names a standards row that exists in both tables for every subject', () => {
    for (const r of RULES) {
      expect(STANDARDS.consistency[r.standardsSubject], r.subject).toBeDefined();
      expect(STANDARDS.qualification[r.standardsSubject], r.subject).toBeDefined();
    }
  });

  it.each<[string, SubjectRules['thirdCheck']]>([
    ['mathematics-profile', [{ kind: 'task-difference', atLeast: 2 }]],
    ['physics', [{ kind: 'task-difference', atLeast: 2 }]],
    [
      'russian',
      [
        { kind: 'total-difference', atLeast: 8 },
        { kind: 'criterion-difference', criterion: '27.K7', atLeast: 2 },
        { kind: 'criterion-difference', criterion: '27.K8', atLeast: 2 },
      ],
    ],
    ['literature', [{ kind: 'total-difference', atLeast: 7 }]],
    [
      'history',
      [
        { kind: 'total-difference', atLeast: 5 },
        { kind: 'criteria-disagreement', atLeast: 4 },
      ],
    ],
    ['social-studies', [{ kind: 'total-difference', atLeast: 3 }]],
    [
      'english',
      [
        { kind: 'total-difference', atLeast: 4 },
        { kind: 'gating-zero', criterion: '37.K1' },
        { kind: 'gating-zero', criterion: '38.K1' },
      ],
    ],
  ])('%s has the domain brief thresholds', (subject, triggers) => {
    expect(rulesFor(subject).thirdCheck).toEqual(triggers);
  });

  it('transcribes the standards tables of the domain brief', () => {
    expect(STANDARDS.year).toBe(2026);
    expect(STANDARDS.upheldAppeals).toEqual({ leading: 0, senior: 10.5, main: 31.5 });
    expect(Object.keys(STANDARDS.consistency)).toHaveLength(11);
    expect(Object.keys(STANDARDS.qualification)).toHaveLength(12);
    expect(STANDARDS.consistency['Social studies']).toEqual({ leading: 98, senior: 89, main: 80 });
    expect(STANDARDS.qualification['Native language and literature']).toEqual({
      leading: 100,
      senior: 98,
      main: 95,
    });
  });
});

describe('third check and combined result per subject', () => {
  it.each<Row>([
    ['agreement', { 13: 2, 14: 3 }, { 13: 2, 14: 3 }, NOT_DUE, 5],
    ['task 14 differs by 1: mean 2.5 rounds up', { 14: 3 }, { 14: 2 }, NOT_DUE, { 14: 3 }],
    ['task 13 differs by 1: mean 0.5 rounds up', { 13: 1 }, { 13: 0 }, NOT_DUE, { 13: 1 }],
    ['task 18 differs by exactly 2: only task 18', { 18: 4, 13: 2 }, { 18: 2, 13: 2 }, due('18'), null],
    ['task 17 differs by 3: only task 17', { 17: 3 }, { 17: 0 }, due('17'), null],
    [
      'tasks 13 and 19 differ by 2+: only those',
      { 13: 2, 19: 4, 15: 1 },
      { 19: 1, 15: 1 },
      due('13', '19'),
      null,
    ],
    [
      'every task differs by 1 (total by 7): no task reaches 2',
      ['max', {}],
      { 13: 1, 14: 2, 15: 1, 16: 1, 17: 2, 18: 3, 19: 3 },
      NOT_DUE,
      20,
    ],
  ])('mathematics-profile: %s', (_name, a, b, decision, result) =>
    runRow('mathematics-profile', a, b, decision, result),
  );

  it.each<Row>([
    ['task 21 differs by 1', { 21: 3 }, { 21: 2 }, NOT_DUE, { 21: 3 }],
    ['task 21 differs by exactly 2', { 21: 3 }, { 21: 1 }, due('21'), null],
    [
      'task 26 criteria each differ by 1, task by 2: only task 26',
      { '26.K1': 1, '26.K2': 3, 22: 2 },
      { '26.K1': 0, '26.K2': 2, 22: 1 },
      due('26'),
      null,
    ],
    [
      'task 26 criteria differ in opposite directions: task totals equal',
      { '26.K1': 1, '26.K2': 2 },
      { '26.K1': 0, '26.K2': 3 },
      NOT_DUE,
      { '26.K1': 1, '26.K2': 3 },
    ],
    ['tasks 22 and 25 differ by 2: both, not the others', { 22: 2, 25: 3 }, { 25: 1 }, due('22', '25'), null],
  ])('physics: %s', (_name, a, b, decision, result) => runRow('physics', a, b, decision, result));

  it.each<Row>([
    ['totals differ by 7', { '27.K2': 5, '27.K5': 2 }, {}, NOT_DUE, 4],
    ['totals differ by exactly 8', { '27.K1': 1, '27.K2': 5, '27.K5': 2 }, {}, due('27'), null],
    [
      'totals differ by 8 from the top',
      ['max', {}],
      ['max', { '27.K2': 0, '27.K6': 0, '27.K12': 0 }],
      due('27'),
      null,
    ],
    ['spelling (K7) differs by 1', { '27.K7': 3 }, { '27.K7': 2 }, NOT_DUE, { '27.K7': 3 }],
    ['spelling (K7) differs by exactly 2, total by 2', { '27.K7': 3 }, { '27.K7': 1 }, due('27'), null],
    ['punctuation (K8) differs by 1', { '27.K8': 1 }, { '27.K8': 2 }, NOT_DUE, { '27.K8': 2 }],
    ['punctuation (K8) differs by exactly 2', { '27.K8': 0 }, { '27.K8': 2 }, due('27'), null],
    [
      'another criterion (K2) differs by 2: no named-criterion rule',
      { '27.K2': 4 },
      { '27.K2': 2 },
      NOT_DUE,
      3,
    ],
  ])('russian: %s', (_name, a, b, decision, result) => runRow('russian', a, b, decision, result));

  const HISTORY_ALL = ['13', '14', '15', '16', '17', '18', '19', '20', '21'];
  it.each<Row>([
    ['totals differ by 4 on two criteria', { 14: 3, 17: 1 }, {}, NOT_DUE, 3],
    [
      'totals differ by exactly 5 on two tasks: the whole work',
      { 14: 3, 17: 2 },
      {},
      due(...HISTORY_ALL),
      null,
    ],
    ['3 criteria disagree', { 13: 1, '21.K1': 1, '21.K5': 1 }, {}, NOT_DUE, 3],
    [
      'exactly 4 criteria disagree, totals equal: the whole work',
      { 13: 1, 15: 1 },
      { '21.K1': 1, '21.K2': 1 },
      due(...HISTORY_ALL),
      null,
    ],
  ])('history: %s', (_name, a, b, decision, result) => runRow('history', a, b, decision, result));

  const SOCIAL_ALL = ['17', '18', '19', '20', '21', '22', '23', '24', '25'];
  it.each<Row>([
    ['totals differ by 2', { 22: 4 }, { 22: 2 }, NOT_DUE, 3],
    [
      'totals differ by exactly 3 on one task: the whole work',
      { 22: 4 },
      { 22: 1 },
      due(...SOCIAL_ALL),
      null,
    ],
    [
      'differences of 1 on three tasks add up to 3',
      { 17: 1, '24.K2': 1, '25.K1': 1 },
      {},
      due(...SOCIAL_ALL),
      null,
    ],
    ['opposite differences cancel in the total', { 19: 3 }, { 20: 3 }, NOT_DUE, 4],
  ])('social-studies: %s', (_name, a, b, decision, result) =>
    runRow('social-studies', a, b, decision, result),
  );

  const LITERATURE_ALL = ['5', '6', '10', '11', '12'];
  it.each<Row>([
    ['totals differ by 6', { '12.K1': 3, '12.K3': 3 }, {}, NOT_DUE, 4],
    [
      'totals differ by exactly 7 across tasks: the whole work',
      { '12.K1': 3, '12.K3': 3, '5.K2': 1 },
      {},
      due(...LITERATURE_ALL),
      null,
    ],
    [
      'all at maximum against one point less on 7 criteria',
      ['max', {}],
      [
        'max',
        {
          '5.K1': 1,
          '6.K1': 1,
          '10.K1': 1,
          '11.K1': 1,
          '12.K1': 2,
          '12.K4': 2,
          '12.K5': 2,
        },
      ],
      due(...LITERATURE_ALL),
      null,
    ],
  ])('literature: %s', (_name, a, b, decision, result) => runRow('literature', a, b, decision, result));

  it.each<Row>([
    [
      'totals differ by 3',
      { '37.K1': 2, '38.K1': 3, '38.K2': 3 },
      { '37.K1': 2, '38.K1': 2, '38.K2': 1 },
      NOT_DUE,
      7,
    ],
    [
      'totals differ by exactly 4: the whole work',
      { '37.K1': 2, '38.K1': 3, '38.K2': 3 },
      { '37.K1': 2, '38.K1': 2, '38.K2': 0 },
      due('37', '38'),
      null,
    ],
    [
      'first expert alone gave 0 on 37.K1',
      { '37.K1': 0, '38.K1': 2 },
      { '37.K1': 1, '38.K1': 2 },
      due('37', '38'),
      null,
    ],
    [
      'second expert alone gave 0 on 38.K1',
      { '37.K1': 1, '38.K1': 1 },
      { '37.K1': 1, '38.K1': 0 },
      due('37', '38'),
      null,
    ],
    ['both gave 0 on 38.K1', { '37.K1': 2, '38.K1': 0 }, { '37.K1': 2, '38.K1': 0 }, NOT_DUE, 2],
    [
      'gating criteria differ but neither is 0',
      { '37.K1': 1, '38.K1': 1 },
      { '37.K1': 2, '38.K1': 3 },
      NOT_DUE,
      4,
    ],
    [
      'a non-gating criterion 0 from one expert only',
      { '37.K1': 2, '37.K2': 0 },
      { '37.K1': 2, '37.K2': 1 },
      NOT_DUE,
      3,
    ],
  ])('english: %s', (_name, a, b, decision, result) => runRow('english', a, b, decision, result));
});

describe('result with a third check', () => {
  it("takes the third expert's points for the rechecked tasks and the mean for the rest", () => {
    const rules = rulesFor('mathematics-profile');
    const a = fill(rules, { 13: 2, 14: 3, 18: 4, 19: 1 });
    const b = fill(rules, { 13: 1, 14: 3, 18: 1, 19: 0 });
    const decision = thirdCheckDecision(rules, a, b);
    expect(summary(decision)).toEqual(due('18'));
    const third = { scores: { 18: 2 }, tasks: ['18'] };
    checkScores(rules, third.scores, third.tasks);
    // 18: the third expert's 2, not the rounded-up mean 3; 13: mean 1.5 rounds up to 2; 19: 0.5 to 1.
    expect(resultScores(rules, a, b, third)).toEqual({ 13: 2, 14: 3, 15: 0, 16: 0, 17: 0, 18: 2, 19: 1 });
  });

  it("takes the third expert's points on every criterion when the whole work was rechecked", () => {
    const rules = rulesFor('history');
    const a = fill(rules, { 13: 2, 14: 3, 17: 2 });
    const b = fill(rules, { 13: 2 });
    const decision = thirdCheckDecision(rules, a, b);
    if (!decision.due) throw new Error('expected a third check');
    // The first two agreed on 13, yet the third expert's 1 stands.
    const thirdScores = fill(rules, { 13: 1, 14: 2, 17: 1 });
    checkScores(rules, thirdScores, decision.tasks);
    expect(resultScores(rules, a, b, { scores: thirdScores, tasks: decision.tasks })).toEqual(thirdScores);
  });

  it('takes the third expert on a multi-criterion task criterion by criterion', () => {
    const rules = rulesFor('physics');
    const a = fill(rules, { '26.K1': 1, '26.K2': 3, 21: 3 });
    const b = fill(rules, { '26.K1': 0, '26.K2': 1, 21: 2 });
    expect(summary(thirdCheckDecision(rules, a, b))).toEqual(due('26'));
    const result = resultScores(rules, a, b, { scores: { '26.K1': 0, '26.K2': 2 }, tasks: ['26'] });
    expect(result).toMatchObject({ '26.K1': 0, '26.K2': 2, 21: 3 });
    expect(total(rules, result)).toBe(5);
  });
});

describe('checkScores', () => {
  const rules = rulesFor('russian');
  const full = () => fill(rules, ['max', {}]);

  it('accepts a full sheet and a sheet for only the named tasks', () => {
    expect(() => checkScores(rules, full())).not.toThrow();
    const maths = rulesFor('mathematics-profile');
    expect(() => checkScores(maths, { 18: 4 }, ['18'])).not.toThrow();
    expect(() => checkScores(maths, { 18: 4 }, ['18', '19'])).toThrow(/^19: no score$/);
  });

  it.each<[string, (s: Scores) => void, string]>([
    ['a missing criterion', (s) => delete s['27.K7'], '27.K7'],
    ['above the maximum', (s) => (s['27.K8'] = 4), '27.K8'],
    ['negative', (s) => (s['27.K10'] = -1), '27.K10'],
    ['not a whole number', (s) => (s['27.K2'] = 2.5), '27.K2'],
    ['not a number at all', (s) => (s['27.K2'] = Number.NaN), '27.K2'],
    ['an unknown criterion', (s) => (s['27.K13'] = 1), '27.K13'],
  ])('refuses %s, naming the criterion', (_name, spoil, id) => {
    const s = full();
    spoil(s);
    let error: unknown;
    try {
      checkScores(rules, s);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScoreError);
    // The only problem, named first: "27.K1" must not pass for "27.K10".
    expect((error as Error).message.startsWith(`${id}: `)).toBe(true);
    expect((error as Error).message).not.toContain(';');
  });

  it('names every problem at once', () => {
    const s = full();
    delete s['27.K1'];
    s['27.K9'] = 3;
    expect(() => checkScores(rules, s)).toThrow(/27\.K1: no score; 27\.K9: 3 is not 0\.\.2/);
  });
});

describe('SubjectRulesSchema cross-checks', () => {
  const base = () => structuredClone(rulesFor('english'));

  it('accepts a shipped set as is', () => {
    expect(SubjectRulesSchema.safeParse(base()).success).toBe(true);
  });

  it('refuses a duplicate criterion id, naming it', () => {
    const v = base();
    v.tasks[1]!.criteria.push({ id: '37.K2', max: 1 });
    const parsed = SubjectRulesSchema.safeParse(v);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.message)).toContain('criterion 37.K2 twice');
  });

  it('refuses a marking scheme that gives more points than its criterion has', () => {
    const v = base();
    v.tasks[0]!.criteria[0]!.scheme = [{ points: 3, text: 'всё верно' }];
    const parsed = SubjectRulesSchema.safeParse(v);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.message)).toContain(
      'criterion 37.K1: the scheme gives 3 points, over its 2',
    );
  });

  it('refuses a trigger naming an unknown criterion, naming it and its place', () => {
    const v = base();
    v.thirdCheck.push({ kind: 'criterion-difference', criterion: '38.K9', atLeast: 2 });
    const parsed = SubjectRulesSchema.safeParse(v);
    expect(parsed.success).toBe(false);
    const issue = parsed.error?.issues.find((i) => i.message.includes('38.K9'));
    expect(issue?.path).toEqual(['thirdCheck', 3, 'criterion']);
  });

  it('refuses a gating trigger naming an unknown criterion', () => {
    const v = base();
    v.thirdCheck[1] = { kind: 'gating-zero', criterion: '39.K1' };
    const parsed = SubjectRulesSchema.safeParse(v);
    expect(parsed.error?.issues.map((i) => i.message)).toContain('no criterion 39.K1');
  });
});

describe('expertStanding against the 2026 standards', () => {
  /** 100 works checked, 20 appealed and 100 reference criteria scored unless a row says otherwise. */
  const record = (r: Partial<ExpertRecord>): ExpertRecord => ({
    checked: 100,
    thirdByFault: 0,
    appealed: 20,
    appealsUpheld: 0,
    referenceScored: 100,
    referenceMatched: 100,
    ...r,
  });

  it.each<[string, string, Partial<ExpertRecord>, ExpertStatus | null]>([
    ['Russian', 'faultless', {}, 'leading'],
    ['Russian', 'consistency exactly 98%', { thirdByFault: 2 }, 'leading'],
    ['Russian', 'consistency 97%', { thirdByFault: 3 }, 'senior'],
    ['Russian', 'consistency 92%', { thirdByFault: 8 }, 'main'],
    ['Russian', 'consistency exactly 87%', { thirdByFault: 13 }, 'main'],
    ['Russian', 'consistency 86%', { thirdByFault: 14 }, null],
    ['Russian', 'consistency exactly 98% of 50', { checked: 50, thirdByFault: 1 }, 'leading'],
    ['Russian', 'reference agreement exactly 90%', { referenceMatched: 90 }, 'leading'],
    ['Russian', 'reference agreement 89%', { referenceMatched: 89 }, 'senior'],
    ['Russian', 'reference agreement exactly 85%', { referenceMatched: 85 }, 'senior'],
    ['Russian', 'reference agreement 84%', { referenceMatched: 84 }, 'main'],
    [
      'Russian',
      'reference agreement exactly 75% of 20',
      { referenceScored: 20, referenceMatched: 15 },
      'main',
    ],
    ['Russian', 'reference agreement 74%', { referenceMatched: 74 }, null],
    ['Russian', 'the weakest figure decides', { thirdByFault: 3, referenceMatched: 84 }, 'main'],
    ['Russian', 'one upheld appeal bars leading', { appealsUpheld: 1 }, 'senior'],
    // Upheld appeals as a share of the appeals heard: 2 of 20 is 10% (senior at most 10.5%), 3 of 20 is 15%.
    ['Russian', '2 of 20 appeals upheld', { appealsUpheld: 2 }, 'senior'],
    ['Russian', '3 of 20 appeals upheld', { appealsUpheld: 3 }, 'main'],
    ['Russian', 'exactly 10.5% upheld', { appealed: 200, appealsUpheld: 21 }, 'senior'],
    ['Russian', '7 of 20 appeals upheld', { appealsUpheld: 7 }, null],
    ['Russian', 'no appeals heard', { appealed: 0, appealsUpheld: 0 }, 'leading'],
    // Nothing checked this year: no status can be judged, whatever the reference works say.
    ['Russian', 'no checks this year', { checked: 0, referenceMatched: 100 }, null],
    ['Russian', 'consistency exactly 93%', { thirdByFault: 7 }, 'senior'],
    [
      'Russian',
      'no reference scores: consistency alone',
      { referenceScored: 0, referenceMatched: 0, thirdByFault: 9 },
      'main',
    ],
    ['Mathematics', 'faultless', {}, 'leading'],
    ['Mathematics', 'consistency 97%', { thirdByFault: 3 }, 'senior'],
    ['Mathematics', 'consistency exactly 95%', { thirdByFault: 5 }, 'senior'],
    ['Mathematics', 'consistency 94%', { thirdByFault: 6 }, 'main'],
    ['Mathematics', 'consistency exactly 90%', { thirdByFault: 10 }, 'main'],
    ['Mathematics', 'consistency 89%', { thirdByFault: 11 }, null],
    ['Mathematics', 'reference agreement exactly 99%', { referenceMatched: 99 }, 'leading'],
    ['Mathematics', 'reference agreement 98%', { referenceMatched: 98 }, 'senior'],
    ['Mathematics', 'reference agreement exactly 95%', { referenceMatched: 95 }, 'senior'],
    ['Mathematics', 'reference agreement 94%', { referenceMatched: 94 }, 'main'],
    ['Mathematics', 'reference agreement exactly 93%', { referenceMatched: 93 }, 'main'],
    ['Mathematics', 'reference agreement 92%', { referenceMatched: 92 }, null],
    ['Mathematics', 'Russian-level 90% agreement is not enough', { referenceMatched: 90 }, null],
  ])('%s: %s', (subject, _name, r, qualifiesFor) => {
    expect(expertStanding(STANDARDS, subject, record(r)).qualifiesFor).toBe(qualifiesFor);
  });

  it('reports the figures as shares', () => {
    const s = expertStanding(
      STANDARDS,
      'Russian',
      record({ checked: 200, thirdByFault: 10, referenceMatched: 80 }),
    );
    expect(s.consistency).toBeCloseTo(0.95, 12);
    expect(s.referenceAgreement).toBeCloseTo(0.8, 12);
    expect(s.upheldAppealShare).toBe(0);
    expect(expertStanding(STANDARDS, 'Russian', record({ appealsUpheld: 5 })).upheldAppealShare).toBe(0.25);
  });

  it('gives null figures when there is no data', () => {
    const s = expertStanding(
      STANDARDS,
      'Russian',
      record({ checked: 0, thirdByFault: 0, appealed: 0, referenceScored: 0, referenceMatched: 0 }),
    );
    expect(s).toEqual({
      consistency: null,
      upheldAppealShare: null,
      referenceAgreement: null,
      qualifiesFor: null,
    });
  });

  it('refuses a subject the standards do not list rather than passing it', () => {
    expect(() => expertStanding(STANDARDS, 'Astrology', record({}))).toThrow(/Astrology/);
  });
});

describe('whose fault a third check was', () => {
  const rules = fixtureRules(
    [
      { task: '1', criteria: [{ id: '1', max: 4 }] },
      {
        task: '2',
        criteria: [
          { id: '2.K1', max: 2 },
          { id: '2.K2', max: 2 },
        ],
      },
    ],
    'fault-fixture',
  );
  it.each([
    // first, second, third (on the tasks listed), expected fault
    [
      'the third agrees with the first',
      { '1': 4 },
      { '1': 1 },
      { '1': 4 },
      ['1'],
      { first: false, second: true },
    ],
    [
      'the third agrees with the second',
      { '1': 4 },
      { '1': 1 },
      { '1': 1 },
      ['1'],
      { first: true, second: false },
    ],
    [
      'the third agrees with neither',
      { '1': 4 },
      { '1': 1 },
      { '1': 2 },
      ['1'],
      { first: true, second: true },
    ],
    // Task totals decide: the same total by other criteria is a confirmation.
    [
      'same task total, other criteria',
      { '2.K1': 2, '2.K2': 0 },
      { '2.K1': 0, '2.K2': 0 },
      { '2.K1': 0, '2.K2': 2 },
      ['2'],
      { first: false, second: true },
    ],
    // Tasks the third expert did not check do not count.
    [
      'a difference outside the checked tasks',
      { '1': 4, '2.K1': 2 },
      { '1': 1, '2.K1': 0 },
      { '1': 4 },
      ['1'],
      { first: false, second: true },
    ],
  ] as const)('%s', (_name, first, second, third, tasks, fault) => {
    expect(thirdCheckFault(rules, first, second, { scores: third, tasks })).toEqual(fault);
  });
});
