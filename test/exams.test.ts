import { describe, expect, it } from 'vitest';
import { fileOfExam } from '../domain/checking.ts';
import { deadlineProblem, examProblem, gradeProblem, realDay } from '../domain/exams.ts';

describe('an exam’s dates', () => {
  it.each([
    ['2026-06-01', true],
    ['2028-02-29', true],
    ['2026-02-29', false],
    ['2026-02-30', false],
    ['2026-13-01', false],
    ['2026-6-01', false],
  ])('%s is a real day: %s', (day, real) => {
    expect(realDay(day)).toBe(real);
  });

  it.each([
    ['2026-06-01', null, null],
    ['2026-06-01', '2026-06-01', null],
    ['2026-06-01', '2026-06-05', null],
    ['2026-06-01', '2026-05-31', 'the processing deadline cannot come before the exam'],
    ['2026-06-01', '2026-06-31', '2026-06-31 is not a day'],
  ])('exam on %s, deadline %s: %s', (date, deadline, problem) => {
    expect(deadlineProblem(date, deadline)).toBe(problem);
  });

  const exam = { date: '2026-06-11', timeZone: 'Europe/Kaliningrad' };
  it.each([
    [exam, null],
    [{ ...exam, processingDeadline: '2026-06-20' }, null],
    [{ ...exam, processingDeadline: null }, null],
    [{ ...exam, date: '2026-02-30' }, '2026-02-30 is not a day'],
    [{ ...exam, timeZone: 'Mars/Olympus' }, 'unknown time zone "Mars/Olympus"'],
    [{ ...exam, processingDeadline: '2026-06-10' }, 'the processing deadline cannot come before the exam'],
  ])('%o: %s', (e, problem) => {
    expect(examProblem(e)).toBe(problem);
  });
});

// GVE is sat in grade 9 (GIA-9) and in grade 11, which the regulation treats apart (road map L453, L455;
// order L129-131): a GVE exam names its grade; EGE (grade 11) and OGE (grade 9) have nothing to name.
describe('an exam’s grade', () => {
  it.each([
    ['GVE', 9, null],
    ['GVE', 11, null],
    ['GVE', undefined, 'a GVE exam needs its grade: 9 (GVE-9) or 11 (GVE-11)'],
    ['GVE', null, 'a GVE exam needs its grade: 9 (GVE-9) or 11 (GVE-11)'],
    ['GVE', 10, 'a GVE exam needs its grade: 9 (GVE-9) or 11 (GVE-11)'],
    ['EGE', undefined, null],
    ['OGE', null, null],
    ['EGE', 11, 'an EGE exam has no grade to name'],
  ] as const)('%s, grade %s: %s', (kind, grade, problem) => {
    expect(gradeProblem({ kind, grade })).toBe(problem);
  });

  // Two files of one subject code, GVE-9's and GVE-11's: each exam takes its grade's; a file naming no grade,
  // or an exam registered before grades were kept, matches either.
  const exam = { year: 2026, kind: 'GVE', subjectCode: '01' };
  it.each([
    [{ exam: 'GVE', subjectCode: '01', grade: 9 }, { ...exam, grade: 9 }, true],
    [{ exam: 'GVE', subjectCode: '01', grade: 11 }, { ...exam, grade: 9 }, false],
    [{ exam: 'GVE', subjectCode: '01' }, { ...exam, grade: 11 }, true],
    [{ exam: 'GVE', subjectCode: '01', grade: 11 }, { ...exam, grade: null }, true],
    [{ exam: 'OGE', subjectCode: '01' }, { ...exam, grade: 9 }, false],
  ])('file %o is the exam %o’s: %s', (file, key, mine) => {
    expect(fileOfExam(file, key)).toBe(mine);
  });
});
