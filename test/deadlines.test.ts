/**
 * The regulation's clock as pure arithmetic: calendar and working days on the production calendar, an
 * appeal's steps and their deadlines, the processing deadline's default. Each row cites the rule it counts.
 */
import { describe, expect, it } from 'vitest';
import {
  type AppealFacts,
  appealSteps,
  type Calendar,
  CalendarSchema,
  type Count,
  DeadlineRulesSchema,
  deadlineAfter,
  isWorkingDay,
  loadCalendars,
  loadDeadlineRules,
  processingDeadline,
  stepDoneProblem,
} from '../domain/deadlines.ts';

const RULES = loadDeadlineRules(2026);
const CALENDARS = loadCalendars();

/** A made-up 2025 with a transferred working Saturday (as 1 November 2025 was) and the day off it moved. */
const FIXTURE_2025: Calendar = {
  year: 2025,
  example: true,
  basis: 'test fixture',
  holidays: ['2025-11-04'],
  transferredDaysOff: ['2025-11-03'],
  workingWeekendDays: ['2025-11-01'],
};

describe('the production calendar', () => {
  const days: [string, boolean | null, string][] = [
    ['2026-06-11', true, 'a Thursday'],
    ['2026-06-12', false, 'Russia Day, a Friday (art. 112)'],
    ['2026-06-13', false, 'a Saturday'],
    ['2026-03-09', false, '8 March fell on a Sunday: the Monday is off'],
    ['2026-05-11', false, '9 May fell on a Saturday: the Monday is off'],
    ['2026-01-09', false, 'transferred from Saturday 3 January'],
    ['2026-12-31', false, 'transferred from Sunday 4 January'],
    ['2027-06-01', null, 'a year without a calendar'],
  ];
  it.each(days)('%s is worked: %s (%s)', (day, working) => {
    expect(isWorkingDay(CALENDARS, day)).toBe(working);
  });

  it('works a transferred Saturday and rests on the Monday it moved', () => {
    expect(isWorkingDay([FIXTURE_2025], '2025-11-01')).toBe(true);
    expect(isWorkingDay([FIXTURE_2025], '2025-11-03')).toBe(false);
  });

  it('refuses a transfer that is not one, naming the day', () => {
    const bad = CalendarSchema.safeParse({
      ...FIXTURE_2025,
      transferredDaysOff: ['2025-11-02'],
      workingWeekendDays: ['2025-11-05', '2026-01-03'],
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.message)).toEqual([
      '2025-11-02 is a weekend day already',
      '2025-11-05 is not a weekend day',
      '2026-01-03 is not in 2025',
    ]);
  });
});

describe('deadlines counted from a day', () => {
  const rows: [string, string, number, Count, string | { problem: string }][] = [
    ['road map L408: 1 calendar day, filed Friday → Saturday', '2026-06-19', 1, 'calendar', '2026-06-20'],
    ['road map L409: 2 calendar days, decided 30 June → 2 July', '2026-06-30', 2, 'calendar', '2026-07-02'],
    ['order L127: 1 working day, Friday filing → Monday', '2026-06-19', 1, 'working', '2026-06-22'],
    [
      'order L127: 1 working day, Thursday → Monday over Russia Day',
      '2026-06-11',
      1,
      'working',
      '2026-06-15',
    ],
    ['order L127: 1 working day, from a Saturday → Monday', '2026-06-20', 1, 'working', '2026-06-22'],
    ['order L129-130: 5 working days, Monday → next Monday', '2026-06-22', 5, 'working', '2026-06-29'],
    ['order L129-130: 5 working days over Russia Day', '2026-06-08', 5, 'working', '2026-06-16'],
    ['order L129-130: 5 working days over the May holidays', '2026-05-06', 5, 'working', '2026-05-14'],
    ['road map L415: 10 calendar days across a month', '2026-06-25', 10, 'calendar', '2026-07-05'],
    [
      'order L127: into a year without a calendar',
      '2026-12-30',
      1,
      'working',
      {
        problem: 'no production calendar for 2027',
      },
    ],
  ];
  it.each(rows)('%s', (_rule, from, days, count, due) => {
    expect(deadlineAfter(CALENDARS, from, { days, count })).toEqual(
      typeof due === 'string' ? { day: due } : due,
    );
  });

  it('order L127: 1 working day, Friday → the transferred working Saturday', () => {
    expect(deadlineAfter([FIXTURE_2025], '2025-10-31', { days: 1, count: 'working' })).toEqual({
      day: '2025-11-01',
    });
    // Saturday worked, Monday off (the day moved), Tuesday 4 November a holiday: Wednesday.
    expect(deadlineAfter([FIXTURE_2025], '2025-10-31', { days: 2, count: 'working' })).toEqual({
      day: '2025-11-05',
    });
  });
});

describe('the processing deadline', () => {
  it('road map L415, L444: 10 days after the exam when none is set', () => {
    expect(processingDeadline(RULES, { date: '2026-06-01', processingDeadline: null })).toEqual({
      day: '2026-06-11',
      defaulted: true,
    });
  });
  it('is the exam’s own when set', () => {
    expect(processingDeadline(RULES, { date: '2026-06-01', processingDeadline: '2026-06-05' })).toEqual({
      day: '2026-06-05',
      defaulted: false,
    });
  });
});

describe('an appeal’s steps', () => {
  const facts = (f: Partial<AppealFacts>): AppealFacts => ({
    form: 'EGE',
    filedOn: '2026-06-18',
    heardOn: null,
    outcome: null,
    done: {},
    ...f,
  });
  const at = (f: Partial<AppealFacts>, today: string) =>
    Object.fromEntries(
      appealSteps(RULES, CALENDARS, facts(f), today).map((s) => [s.step, [s.state, s.dueDay, s.by]]),
    );

  it('road map L408: filed Thursday, entered by Friday; overdue on Saturday; the rest waits for the hearing', () => {
    expect(at({}, '2026-06-19')).toEqual({
      'ris-entry': ['open', '2026-06-19', 'rcoi'],
      'protocols-to-rcoi': ['waiting', null, 'conflict-commission'],
      'decision-entry': ['waiting', null, 'rcoi'],
      'outcome-entry': ['waiting', null, 'rcoi'],
      recalculation: ['waiting', null, 'federal-centre'],
      'results-to-gek': ['waiting', null, 'rcoi'],
    });
    expect(at({}, '2026-06-20')['ris-entry']).toEqual(['overdue', '2026-06-19', 'rcoi']);
    expect(at({ done: { 'ris-entry': '2026-06-20' } }, '2026-06-20')['ris-entry']?.[0]).toBe('late');
  });

  it('order L125, L127, road map L409: a Friday hearing, protocols Saturday, entry Monday, results Sunday', () => {
    const heard = { heardOn: '2026-06-19', outcome: 'upheld' as const, done: { 'ris-entry': '2026-06-18' } };
    expect(at(heard, '2026-06-20')).toMatchObject({
      'ris-entry': ['done', '2026-06-19', 'rcoi'],
      'protocols-to-rcoi': ['open', '2026-06-20', 'conflict-commission'],
      'decision-entry': ['waiting', null, 'rcoi'],
      'outcome-entry': ['open', '2026-06-21', 'rcoi'],
    });
    const received = { ...heard, done: { ...heard.done, 'protocols-to-rcoi': '2026-06-20' } };
    expect(at(received, '2026-06-22')['decision-entry']).toEqual(['open', '2026-06-22', 'rcoi']);
    expect(at(received, '2026-06-23')['decision-entry']).toEqual(['overdue', '2026-06-22', 'rcoi']);
  });

  it('order L129-131: an upheld EGE appeal recalculated by the federal centre in 5 working days, then the GEK', () => {
    const entered = {
      heardOn: '2026-06-19',
      outcome: 'upheld' as const,
      done: { 'ris-entry': '2026-06-18', 'protocols-to-rcoi': '2026-06-20', 'decision-entry': '2026-06-22' },
    };
    expect(at(entered, '2026-06-29').recalculation).toEqual(['open', '2026-06-29', 'federal-centre']);
    expect(at(entered, '2026-06-30').recalculation).toEqual(['overdue', '2026-06-29', 'federal-centre']);
    const recalculated = { ...entered, done: { ...entered.done, recalculation: '2026-06-26' } };
    expect(at(recalculated, '2026-06-30')['results-to-gek']).toEqual(['overdue', '2026-06-27', 'rcoi']);
    // OGE and GVE-9 results are recalculated by the RCOI itself (order L131).
    expect(at({ ...entered, form: 'OGE' }, '2026-06-22').recalculation?.[2]).toBe('rcoi');
    expect(at({ ...entered, form: 'GVE-11' }, '2026-06-22').recalculation?.[2]).toBe('federal-centre');
    expect(at({ ...entered, form: null }, '2026-06-22').recalculation?.[2]).toBeNull();
  });

  it('order L129: a rejected appeal is not recalculated', () => {
    const rejected = { heardOn: '2026-06-19', outcome: 'rejected' as const };
    expect(at(rejected, '2026-07-30')).toMatchObject({
      recalculation: ['not-applicable', null, 'federal-centre'],
      'results-to-gek': ['not-applicable', null, 'rcoi'],
    });
  });

  it('records a step only once, after what it follows and not in the future', () => {
    const problem = (f: Partial<AppealFacts>, step: string, on: string) =>
      stepDoneProblem(RULES, CALENDARS, facts(f), step, on, '2026-06-22');
    expect(problem({}, 'ris-entry', '2026-06-18')).toBeNull();
    expect(problem({}, 'ris-entry', '2026-06-17')).toBe('ris-entry cannot be done before 2026-06-18');
    expect(problem({}, 'ris-entry', '2026-06-23')).toBe('2026-06-23 is still to come');
    expect(problem({ done: { 'ris-entry': '2026-06-18' } }, 'ris-entry', '2026-06-19')).toBe(
      'ris-entry was recorded as done on 2026-06-18',
    );
    expect(problem({}, 'decision-entry', '2026-06-22')).toBe('decision-entry waits for protocols-to-rcoi');
    expect(problem({ heardOn: '2026-06-19', outcome: 'rejected' }, 'recalculation', '2026-06-22')).toBe(
      'recalculation does not follow an appeal that was rejected',
    );
    expect(problem({}, 'lunch', '2026-06-22')).toBe('no appeal step "lunch"');
  });

  it('refuses rules whose step follows nothing known or comes twice', () => {
    const bad = DeadlineRulesSchema.safeParse({
      ...RULES,
      appealSteps: [{ ...RULES.appealSteps[2] }, { ...RULES.appealSteps[0] }, { ...RULES.appealSteps[0] }],
    });
    expect(bad.error?.issues.map((i) => i.message)).toEqual([
      '"protocols-to-rcoi" is neither filed, heard nor a step listed before',
      '"ris-entry" twice',
    ]);
  });
});
