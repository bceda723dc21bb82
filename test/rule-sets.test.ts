/**
 * Issue 16 item 7: a checking rule set for every subject with a written part, for EGE, OGE and GVE, as data
 * marked as examples (calibration/checking/2026), with answer types and scoring for the subjects whose
 * short answers are typed, so OGE's and GVE's five-point marks are data too. Domain brief, "The rest of the
 * season": GVE's primary score "is converted into a five-point mark by the approved scale" (order L383-385).
 */
import { describe, expect, it } from 'vitest';
import {
  loadSubjectRules,
  type Scores,
  type SubjectRules,
  SubjectRulesSchema,
  type ThirdCheckTrigger,
  thirdCheckDecision,
} from '../domain/checking.ts';
import { convert, loadSubjectScoring } from '../domain/scoring.ts';
import { loadSubjectAnswers } from '../forms/answer-types.ts';

/**
 * Every subject of 2026 with a written part: exam, slug, subject code, Russian name, the experts' maximum
 * (the sum of the criteria), the whole primary maximum (null where nothing is on answer sheet 1: its scoring
 * file has no tasks, its maximum the experts'), and the third-check triggers in short. Figures are the examples' (see each file's basis).
 */
type Row = [string, string, string, string, number, number | null, string];
const SUBJECTS: Row[] = [
  ['EGE', 'biology', '06', 'Биология', 21, 59, 'task 2'],
  ['EGE', 'chemistry', '04', 'Химия', 21, 56, 'task 2'],
  ['EGE', 'chinese', '14', 'Китайский язык', 20, 62, 'total 4; zero 37.K1; zero 38.K1'],
  ['EGE', 'english', '09', 'Английский язык', 20, 62, 'total 4; zero 37.K1; zero 38.K1'],
  ['EGE', 'french', '11', 'Французский язык', 20, 62, 'total 4; zero 37.K1; zero 38.K1'],
  ['EGE', 'geography', '08', 'География', 15, 47, 'task 2'],
  ['EGE', 'german', '10', 'Немецкий язык', 20, 62, 'total 4; zero 37.K1; zero 38.K1'],
  ['EGE', 'history', '07', 'История', 31, 52, 'total 5; criteria 4'],
  ['EGE', 'literature', '18', 'Литература', 30, 37, 'total 7'],
  ['EGE', 'mathematics-profile', '02', 'Математика (профильный уровень)', 20, 32, 'task 2'],
  ['EGE', 'physics', '03', 'Физика', 17, 47, 'task 2'],
  ['EGE', 'russian', '01', 'Русский язык', 24, 52, 'total 8; 27.K7 2; 27.K8 2'],
  ['EGE', 'social-studies', '12', 'Обществознание', 30, 61, 'total 3'],
  ['EGE', 'spanish', '13', 'Испанский язык', 20, 62, 'total 4; zero 37.K1; zero 38.K1'],
  ['GVE', 'mathematics-eleven', '52', 'Математика (ГВЭ-11, письменная форма)', 7, 14, 'task 2'],
  ['GVE', 'mathematics-nine', '02', 'Математика (ГВЭ-9, письменная форма)', 8, 16, 'task 2'],
  [
    'GVE',
    'russian-eleven',
    '51',
    'Русский язык (ГВЭ-11, письменная форма)',
    19,
    null,
    'total 5; zero 1.K1; 1.K5 2; 1.K6 2',
  ],
  [
    'GVE',
    'russian-nine',
    '01',
    'Русский язык (ГВЭ-9, письменная форма)',
    20,
    null,
    'total 6; 2.K3 2; 2.K4 2',
  ],
  ['OGE', 'biology', '06', 'Биология', 14, 48, 'task 2'],
  ['OGE', 'chemistry', '04', 'Химия', 13, 40, 'task 2'],
  ['OGE', 'english', '09', 'Английский язык', 6, 41, 'total 2; zero 36.K1'],
  ['OGE', 'french', '11', 'Французский язык', 6, 41, 'total 2; zero 36.K1'],
  ['OGE', 'geography', '08', 'География', 6, 31, 'task 2'],
  ['OGE', 'german', '10', 'Немецкий язык', 6, 41, 'total 2; zero 36.K1'],
  ['OGE', 'history', '07', 'История', 19, 37, 'task 2'],
  ['OGE', 'informatics', '05', 'Информатика', 7, 19, 'task 2'],
  ['OGE', 'literature', '18', 'Литература', 35, null, 'total 5; zero 4.K1'],
  ['OGE', 'mathematics', '02', 'Математика', 12, 31, 'task 2'],
  ['OGE', 'physics', '03', 'Физика', 15, 39, 'task 2'],
  ['OGE', 'russian', '01', 'Русский язык', 30, 37, 'total 10; 9.K5 2; 9.K6 2'],
  ['OGE', 'social-studies', '12', 'Обществознание', 9, 37, 'task 2'],
  ['OGE', 'spanish', '13', 'Испанский язык', 6, 41, 'total 2; zero 36.K1'],
];

/** Subjects with no written part on paper: EGE informatics is taken on computers, base mathematics is AS1 only. */
const NO_WRITTEN_PART = [
  ['EGE', '05'],
  ['EGE', '22'],
];

const RULES = loadSubjectRules(2026);
const ANSWERS = loadSubjectAnswers(2026);
const SCORING = loadSubjectScoring(2026);
const key = (x: { exam: string; subject: string; subjectCode: string }) =>
  `${x.exam} ${x.subject} ${x.subjectCode}`;

function rulesOf(exam: string, subject: string): SubjectRules {
  const r = RULES.find((x) => x.exam === exam && x.subject === subject);
  if (!r) throw new Error(`no rule set for ${exam} ${subject}`);
  return r;
}

function triggers(ts: ThirdCheckTrigger[]): string {
  return ts
    .map((t) => {
      if (t.kind === 'task-difference') return `task ${t.atLeast}`;
      if (t.kind === 'total-difference') return `total ${t.atLeast}`;
      if (t.kind === 'criterion-difference') return `${t.criterion} ${t.atLeast}`;
      if (t.kind === 'criteria-disagreement') return `criteria ${t.atLeast}`;
      return `zero ${t.criterion}`;
    })
    .join('; ');
}

const sheet = (r: SubjectRules, points: (max: number) => number): Scores =>
  Object.fromEntries(r.tasks.flatMap((t) => t.criteria.map((c) => [c.id, points(c.max)])));

describe('a rule set for every subject with a written part (2026)', () => {
  it('ships exactly the listed subjects, none for a subject without a written part', () => {
    expect(RULES.map(key).sort()).toEqual(
      SUBJECTS.map(([exam, subject, subjectCode]) => key({ exam, subject, subjectCode })).sort(),
    );
    for (const [exam, code] of NO_WRITTEN_PART)
      expect(RULES.find((r) => r.exam === exam && r.subjectCode === code)).toBeUndefined();
    // The stations find an exam's rules by its kind and subject code: one set each.
    const codes = RULES.map((r) => `${r.exam} ${r.subjectCode}`);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it.each(SUBJECTS)(
    '%s %s: an example whose criteria add up to the declared maximum',
    (exam, subject, _c, name, max) => {
      const r = rulesOf(exam, subject);
      // Validated when loaded; parsed again so a file edited into shape by the loader alone cannot pass.
      expect(SubjectRulesSchema.safeParse(r).success).toBe(true);
      expect(r.example).toBe(true);
      expect(r.basis).toMatch(/example/i);
      expect(r.subjectName ?? name).toBe(name);
      const criteria = r.tasks.flatMap((t) => t.criteria);
      expect(criteria.reduce((a, c) => a + c.max, 0)).toBe(max);
      for (const c of criteria) expect(c.title, c.id).toBeTruthy();
    },
  );

  it.each(SUBJECTS)(
    '%s %s: a marking scheme, where given, has one level per mark from its maximum to 0',
    (exam, subject) => {
      for (const c of rulesOf(exam, subject).tasks.flatMap((t) => t.criteria)) {
        if (!c.scheme) continue;
        expect(
          c.scheme.map((l) => l.points),
          c.id,
        ).toEqual(Array.from({ length: c.max + 1 }, (_, i) => c.max - i));
        for (const l of c.scheme) expect(l.text, c.id).toMatch(/[А-Яа-яЁё]/);
      }
    },
  );

  it.each(SUBJECTS)('%s %s: a third check by its own rule', (exam, subject, _c, _n, _m, _p, rule) => {
    const r = rulesOf(exam, subject);
    expect(triggers(r.thirdCheck)).toBe(rule);
    // The rule fires where the experts are as far apart as the criteria allow, and not where they agree.
    const full = sheet(r, (m) => m);
    const none = sheet(r, () => 0);
    expect(thirdCheckDecision(r, full, none).due).toBe(true);
    expect(thirdCheckDecision(r, full, full)).toEqual({ due: false });
  });

  it.each(SUBJECTS)(
    '%s %s: answer types and scoring exactly where AS1 has short answers',
    (exam, subject, code, _n, max, primary) => {
      const of = <T extends { exam: string; subjectCode: string; subject: string }>(xs: T[]) =>
        xs.filter((x) => x.exam === exam && x.subjectCode === code);
      const scoring = of(SCORING);
      if (primary === null) {
        expect(of(ANSWERS)).toEqual([]);
        expect(scoring.map((s) => [s.subject, s.tasks, s.variants, s.primaryMax])).toEqual([
          [subject, [], {}, max],
        ]);
        expect(scoring[0]!.scale.kind).toBe('mark');
        return;
      }
      expect(of(ANSWERS).map((a) => a.subject)).toEqual([subject]);
      expect(scoring.map((s) => s.subject)).toEqual([subject]);
      expect(scoring[0]!.primaryMax).toBe(primary);
      expect(scoring[0]!.primaryMax).toBeGreaterThan(max);
      expect(scoring[0]!.scale.kind).toBe(exam === 'EGE' ? 'test-score' : 'mark');
    },
  );

  // GVE (order L383-385) and OGE: every primary score from 0 to the maximum has a mark, marks never fall,
  // and each of 2, 3, 4 and 5 is given to some score: no gap in the scale.
  it.each(SCORING.filter((s) => s.scale.kind === 'mark').map((s) => [s.exam, s.subject, s] as const))(
    '%s %s: the five-point scale covers the whole primary range',
    (_e, _s, s) => {
      const marks = Array.from({ length: s.primaryMax + 1 }, (_, p) => convert(s.scale, p));
      expect(marks.every((m, i) => m >= 2 && m <= 5 && (i === 0 || m >= marks[i - 1]!))).toBe(true);
      expect([...new Set(marks)]).toEqual([2, 3, 4, 5]);
      expect(marks[0]).toBe(2);
      expect(marks.at(-1)).toBe(5);
    },
  );

  it('converts GVE marks by data for both GVE-9 and GVE-11 written mathematics and Russian', () => {
    const gve = SCORING.filter((s) => s.exam === 'GVE').map((s) => s.subject);
    expect(gve.sort()).toEqual(['mathematics-eleven', 'mathematics-nine', 'russian-eleven', 'russian-nine']);
  });
});
