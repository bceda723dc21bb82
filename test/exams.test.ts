import { describe, expect, it } from 'vitest';
import { deadlineProblem, examProblem, realDay } from '../domain/exams.ts';

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
