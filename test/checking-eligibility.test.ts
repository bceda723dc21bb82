/**
 * Who may take which check, and when a check is due, as pure rules of domain/checking.ts: every fact an
 * expert's eligibility turns on, one at a time, and the due day at its boundaries.
 */
import { describe, expect, it } from 'vitest';
import { dayIn, dueDay, type ExpertFacts, examPastDue, mayTake, type Round } from '../domain/checking.ts';

/** A trained main expert with no conflict, not appointed to screen, who has not checked yet this year. */
const MAIN: ExpertFacts = {
  status: 'main',
  trained: true,
  qualified: true,
  briefed: true,
  seminar: true,
  conflict: 'none',
  screening: false,
  checkedThisYear: false,
};
const TWO: Round[] = ['first', 'second'];
const ALL_BUT_SCREENING: Round[] = ['first', 'second', 'third', 'appeal'];

describe('what an expert may take', () => {
  const cases: [string, ExpertFacts | null, Round[]][] = [
    ['not registered for the subject and year', null, []],
    ['a trained main expert', MAIN, TWO],
    ['not trained', { ...MAIN, trained: false }, []],
    ['not qualified', { ...MAIN, qualified: false }, []],
    ['not briefed', { ...MAIN, briefed: false }, []],
    ['without the seminar', { ...MAIN, seminar: false }, []],
    ['a conflict declared, not yet cleared', { ...MAIN, conflict: 'declared' }, []],
    ['a conflict cleared', { ...MAIN, conflict: 'cleared' }, TWO],
    ['a barring conflict', { ...MAIN, conflict: 'barred' }, []],
    ['appointed to screen', { ...MAIN, screening: true }, ['screening', 'first', 'second']],
    ['appointed to screen but not trained', { ...MAIN, screening: true, trained: false }, []],
    ['a main expert who has checked this year', { ...MAIN, checkedThisYear: true }, TWO],
    ['a senior expert who has not checked this year', { ...MAIN, status: 'senior' }, TWO],
    [
      'a senior expert who has checked',
      { ...MAIN, status: 'senior', checkedThisYear: true },
      ALL_BUT_SCREENING,
    ],
    [
      'a leading expert who has checked',
      { ...MAIN, status: 'leading', checkedThisYear: true },
      ALL_BUT_SCREENING,
    ],
    [
      'a leading expert who has checked, barred',
      { ...MAIN, status: 'leading', checkedThisYear: true, conflict: 'barred' },
      [],
    ],
    [
      'a senior screening expert who has checked',
      { ...MAIN, status: 'senior', checkedThisYear: true, screening: true },
      ['screening', 'first', 'second', 'third', 'appeal'],
    ],
  ];
  it.each(cases)('%s', (_, facts, rounds) => {
    expect(mayTake(facts)).toEqual(rounds);
  });
});

describe('when a check is due', () => {
  const days: [Round, string | null, string | null][] = [
    ['first', '2026-06-05', '2026-06-04'],
    ['second', '2026-06-05', '2026-06-04'],
    ['first', '2026-03-01', '2026-02-28'],
    ['first', '2028-03-01', '2028-02-29'],
    ['second', '2027-01-01', '2026-12-31'],
    ['first', null, null],
    ['screening', '2026-06-05', null],
    ['third', '2026-06-05', null],
    ['appeal', '2026-06-05', null],
  ];
  it.each(days)('a %s check with the deadline %s is due %s', (round, deadline, due) => {
    expect(dueDay(round, deadline)).toBe(due);
  });

  const overdue: [string | null, string, boolean][] = [
    ['2026-06-05', '2026-06-03', false],
    ['2026-06-05', '2026-06-04', false],
    ['2026-06-05', '2026-06-05', true],
    ['2026-06-05', '2026-07-01', true],
    ['2026-01-01', '2026-01-01', true],
    ['2026-01-01', '2025-12-31', false],
    [null, '2099-01-01', false],
  ];
  it.each(overdue)(
    'with the deadline %s, on %s the first two checks are overdue: %s',
    (deadline, today, past) => {
      expect(examPastDue(deadline, today)).toBe(past);
    },
  );

  const zones: [string, string, string][] = [
    ['2026-06-04T20:30:00Z', 'Europe/Moscow', '2026-06-04'],
    ['2026-06-04T21:30:00Z', 'Europe/Moscow', '2026-06-05'],
    ['2026-06-04T21:30:00Z', 'Europe/Kaliningrad', '2026-06-04'],
    ['2026-06-04T15:00:00Z', 'Asia/Vladivostok', '2026-06-05'],
    ['2026-12-31T23:59:59Z', 'UTC', '2026-12-31'],
  ];
  it.each(zones)('at %s the day in %s is %s', (now, zone, day) => {
    expect(dayIn(zone, new Date(now))).toBe(day);
  });
});
