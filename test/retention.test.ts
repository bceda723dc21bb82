import { describe, expect, it } from 'vitest';
import {
  addMonths,
  type ExamKind,
  expiryBackstops,
  loadRetentionPolicies,
  type MaterialKind,
  parseDay,
  planSweep,
  policyLookup,
  type RetainedExam,
  RetentionPoliciesSchema,
  type RetentionRule,
  retentionWindow,
  startOfDay,
} from '../domain/retention.ts';

const AS2: RetentionRule = { kind: 'fixed-day', yearsAfterExam: 1, month: 3, day: 1 };

describe('retention windows', () => {
  it.each([
    // zone, exam day, first instant of deletion (UTC), deadline (UTC)
    ['Europe/Moscow', '2026-06-01', '2027-02-28T21:00:00.000Z', '2027-03-01T21:00:00.000Z'],
    ['Europe/Kaliningrad', '2026-06-01', '2027-02-28T22:00:00.000Z', '2027-03-01T22:00:00.000Z'],
    ['Asia/Kamchatka', '2026-06-01', '2027-02-28T12:00:00.000Z', '2027-03-01T12:00:00.000Z'],
    ['Asia/Vladivostok', '2026-07-03', '2027-02-28T14:00:00.000Z', '2027-03-01T14:00:00.000Z'],
    // 1 March after a leap day: the day before is 29 February 2028.
    ['Europe/Moscow', '2027-06-01', '2028-02-29T21:00:00.000Z', '2028-03-01T21:00:00.000Z'],
    // An exam late in the year still waits for 1 March of the next one.
    ['Europe/Samara', '2026-12-31', '2027-02-28T20:00:00.000Z', '2027-03-01T20:00:00.000Z'],
  ])('AS2 images of an exam in %s on %s: from %s, by %s', (timeZone, date, from, by) => {
    const w = retentionWindow(AS2, { date, timeZone });
    expect(w.notBefore.toISOString()).toBe(from);
    expect(w.deadline.toISOString()).toBe(by);
  });

  it.each([
    // a period never ends early: a missing day rolls over to the 1st of the next month
    ['2024-02-29', { years: 3, months: 0 }, '2027-03-01'],
    ['2024-02-29', { years: 4, months: 0 }, '2028-02-29'],
    ['2026-08-31', { years: 0, months: 6 }, '2027-03-01'],
    ['2027-08-31', { years: 0, months: 6 }, '2028-03-01'],
    ['2027-08-29', { years: 0, months: 6 }, '2028-02-29'],
    ['2026-06-15', { years: 0, months: 6 }, '2026-12-15'],
    ['2026-12-31', { years: 0, months: 2 }, '2027-03-01'],
  ])('%s plus %o is %s', (from, period, to) => {
    const d = addMonths(parseDay(from), period.years * 12 + period.months);
    expect(`${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`).toBe(to);
  });

  it('finds local midnight across daylight-saving changes', () => {
    expect(startOfDay({ year: 2026, month: 3, day: 29 }, 'Europe/London').toISOString()).toBe(
      '2026-03-29T00:00:00.000Z',
    );
    expect(startOfDay({ year: 2026, month: 3, day: 30 }, 'Europe/London').toISOString()).toBe(
      '2026-03-29T23:00:00.000Z',
    );
    expect(startOfDay({ year: 2026, month: 10, day: 25 }, 'Europe/London').toISOString()).toBe(
      '2026-10-24T23:00:00.000Z',
    );
  });

  it('refuses an unknown zone or a malformed day instead of assuming UTC', () => {
    expect(() => retentionWindow(AS2, { date: '2026-06-01', timeZone: 'Europe/Moskva' })).toThrow(
      /time zone/,
    );
    expect(() => retentionWindow(AS2, { date: '2026-02-30', timeZone: 'Europe/Moscow' })).toThrow(
      /calendar day/,
    );
  });
});

describe('sweep plan', () => {
  const policyFor = policyLookup();
  const moscow: RetainedExam = { date: '2026-06-01', timeZone: 'Europe/Moscow', kind: 'EGE' };
  const kamchatka: RetainedExam = { date: '2026-06-01', timeZone: 'Asia/Kamchatka', kind: 'EGE' };
  const object = (key: string, material: MaterialKind, exam: RetainedExam, held = false) => ({
    key,
    material,
    exam,
    held,
  });
  const objects = [
    object('msk-as2', 'as2-image', moscow),
    object('kam-as2', 'as2-image', kamchatka),
    object('msk-add', 'additional-as2-image', moscow),
    object('msk-held', 'as2-image', moscow, true),
    object('msk-conflict', 'conflict-protocol', moscow),
  ];
  const keys = (xs: { object: { key: string } }[]) => xs.map((x) => x.object.key).sort();

  it('deletes nothing a second before 1 March begins in the exam’s zone', () => {
    const plan = planSweep(objects, policyFor, new Date('2027-02-28T11:59:59Z'));
    expect(plan.destroy).toEqual([]);
    expect(keys(plan.upcoming)).toEqual(['kam-as2', 'msk-add', 'msk-as2', 'msk-held']);
  });

  it('deletes Kamchatka’s AS2 when its 1 March begins, Moscow’s nine hours later', () => {
    const kam = planSweep(objects, policyFor, new Date('2027-02-28T12:00:00Z'));
    expect(keys(kam.destroy)).toEqual(['kam-as2']);
    const msk = planSweep(objects, policyFor, new Date('2027-02-28T21:00:00Z'));
    expect(keys(msk.destroy)).toEqual(['kam-as2', 'msk-add', 'msk-as2']);
    expect(msk.destroy.every((d) => !d.late)).toBe(true);
  });

  it('keeps a held object past its date and reports it on every run', () => {
    for (const now of ['2027-03-01T00:00:00Z', '2027-06-01T00:00:00Z']) {
      const plan = planSweep(objects, policyFor, new Date(now));
      expect(keys(plan.heldPastDate)).toEqual(['msk-held']);
      expect(keys(plan.destroy)).not.toContain('msk-held');
    }
  });

  it('marks a deletion after the day has ended as late', () => {
    const plan = planSweep(objects, policyFor, new Date('2027-03-02T00:00:00Z'));
    expect(plan.destroy.find((d) => d.object.key === 'msk-as2')?.late).toBe(true);
  });

  it('keeps conflict-commission protocols three years', () => {
    expect(keys(planSweep(objects, policyFor, new Date('2029-05-31T20:59:59Z')).destroy)).not.toContain(
      'msk-conflict',
    );
    expect(keys(planSweep(objects, policyFor, new Date('2029-05-31T21:00:00Z')).destroy)).toContain(
      'msk-conflict',
    );
  });

  it('lists only what falls due within the look-ahead', () => {
    expect(planSweep(objects, policyFor, new Date('2027-01-29T00:00:00Z')).upcoming).toEqual([]);
    expect(planSweep(objects, policyFor, new Date('2027-01-30T00:00:00Z')).upcoming).toHaveLength(4);
  });
});

describe('expiry backstops for the object store', () => {
  const policyFor = policyLookup();
  const exam = (date: string, timeZone: string): RetainedExam => ({ date, timeZone, kind: 'EGE' });
  const object = (key: string, material: MaterialKind, e: RetainedExam, held = false) => ({
    key,
    material,
    exam: e,
    held,
  });
  const prefixOf = (o: { key: string }) => `${o.key.split('/', 2).join('/')}/`;
  const objects = [
    object('2026/as2-image/kam', 'as2-image', exam('2026-06-01', 'Asia/Kamchatka')),
    // Kaliningrad's 1 March ends last (2 March 00:00 local = 1 March 22:00 UTC).
    object('2026/as2-image/kgd', 'as2-image', exam('2026-06-01', 'Europe/Kaliningrad')),
    object('2026/conflict-protocol/a', 'conflict-protocol', exam('2026-06-01', 'Europe/Moscow')),
    object('2026/conflict-protocol/b', 'conflict-protocol', exam('2026-07-03', 'Europe/Moscow')),
    object('2026/ppe-video/held', 'ppe-video', exam('2026-06-01', 'Europe/Moscow'), true),
  ];

  it.each([
    // store enforces holds, expected rules
    [
      true,
      [
        ['2026/as2-image/', '2027-03-02T00:00:00.000Z'],
        // The later exam's protocols decide: 3 years after 3 July, that day ended in Moscow.
        ['2026/conflict-protocol/', '2029-07-04T00:00:00.000Z'],
        ['2026/ppe-video/', '2027-03-02T00:00:00.000Z'],
      ],
    ],
    // A store that cannot hold an object gets no rule over a held one.
    [
      false,
      [
        ['2026/as2-image/', '2027-03-02T00:00:00.000Z'],
        ['2026/conflict-protocol/', '2029-07-04T00:00:00.000Z'],
      ],
    ],
  ] as const)('store enforces holds: %s', (enforces, expected) => {
    const rules = expiryBackstops(objects, policyFor, prefixOf, enforces);
    expect(rules.map((r) => [r.prefix, r.from.toISOString()])).toEqual(expected);
  });

  it('never lets the store expire an object before its deadline has passed', () => {
    for (const rule of expiryBackstops(objects, policyFor, prefixOf, true)) {
      for (const o of objects.filter((x) => prefixOf(x) === rule.prefix)) {
        const { deadline } = retentionWindow(policyFor(o.material, o.exam).rule, o.exam);
        expect(rule.from.getTime()).toBeGreaterThanOrEqual(deadline.getTime());
      }
    }
  });
});

describe('retention policies as data', () => {
  it('ships a valid set for 2026 with AS2 images due on 1 March of the next year', () => {
    const set = loadRetentionPolicies(2026);
    expect(set.policies.find((p) => p.material === 'as2-image')?.rule).toEqual(AS2);
  });

  it('refuses a year without policies rather than guessing', () => {
    expect(() => loadRetentionPolicies(1999)).toThrow(/no retention policies for exam year 1999/);
  });

  it('names what is wrong in a bad set', () => {
    const set = loadRetentionPolicies(2026);
    const missing = RetentionPoliciesSchema.safeParse({
      ...set,
      policies: set.policies.filter((p) => p.material !== 'ppe-video'),
    });
    expect(missing.success).toBe(false);
    expect(missing.error?.issues.map((i) => i.message)).toContain('ppe-video (OGE): 0 policies, need 1');
    const leapDay = RetentionPoliciesSchema.safeParse({
      ...set,
      policies: set.policies.map((p) =>
        p.material === 'as2-image' ? { ...p, rule: { ...AS2, month: 2, day: 29 } } : p,
      ),
    });
    expect(leapDay.error?.issues.map((i) => i.message)).toContain('not a day of every year');
  });

  it('refuses two policies for one material and exam kind, and an action the material cannot take', () => {
    const set = loadRetentionPolicies(2026);
    const twice = RetentionPoliciesSchema.safeParse({
      ...set,
      policies: [...set.policies, { material: 'as2-image', exams: ['OGE'], rule: AS2, basis: 'again' }],
    });
    expect(twice.error?.issues.map((i) => i.message)).toContain('as2-image (OGE): 2 policies, need 1');
    // `GVE` covers both grades: beside a GVE-9 policy it is one too many for GVE-9.
    const gveTwice = RetentionPoliciesSchema.safeParse({
      ...set,
      policies: [...set.policies, { material: 'as2-image', exams: ['GVE'], rule: AS2, basis: 'both grades' }],
    });
    expect(gveTwice.error?.issues.map((i) => i.message)).toEqual([
      'as2-image (GVE-9): 2 policies, need 1',
      'as2-image (GVE-11): 2 policies, need 1',
    ]);
    const anonymisedFile = RetentionPoliciesSchema.safeParse({
      ...set,
      policies: set.policies.map((p) => (p.material === 'ppe-video' ? { ...p, action: 'anonymise' } : p)),
    });
    expect(anonymisedFile.error?.issues.map((i) => i.message)).toContain(
      'ppe-video can be destroy, not anonymise',
    );
  });
});

describe('policies per exam kind and material (calibration/retention/2026.json)', () => {
  const policyFor = policyLookup();
  const on = (kind: ExamKind | 'GVE-9' | 'GVE-11'): RetainedExam => {
    const [exam, grade] = kind.split('-') as [ExamKind, string | undefined];
    return {
      date: '2026-06-20',
      timeZone: 'Europe/Moscow',
      kind: exam,
      grade: grade ? (+grade as 9 | 11) : null,
    };
  };
  // material, exam kind, action, the day it is due (Moscow), why
  it.each([
    // AS2 images by 1 March of the next year (order L395): EGE and GVE-11, and a GVE exam registered before
    // its grade was kept, as it was then.
    ['as2-image', 'EGE', 'destroy', '2027-03-01'],
    ['as2-image', 'GVE-11', 'destroy', '2027-03-01'],
    ['as2-image', 'GVE', 'destroy', '2027-03-01'],
    ['scan-file', 'EGE', 'destroy', '2027-03-01'],
    // GIA-9 materials: half a year after the exam (road map L453, L455).
    ['as2-image', 'OGE', 'destroy', '2026-12-20'],
    ['scan-file', 'OGE', 'destroy', '2026-12-20'],
    ['registration-image', 'OGE', 'destroy', '2026-12-20'],
    // GVE-9 is GIA-9 too.
    ['as2-image', 'GVE-9', 'destroy', '2026-12-20'],
    ['personal-data', 'GVE-9', 'anonymise', '2026-12-20'],
    ['conflict-protocol', 'GVE-9', 'destroy', '2029-06-20'],
    // Recognised values go with the images they were read from, erased, their rows kept countable.
    ['recognition-data', 'EGE', 'anonymise', '2027-03-01'],
    ['recognition-data', 'OGE', 'anonymise', '2026-12-20'],
    // The person is known while results can be checked or annulled, then anonymised.
    ['personal-data', 'EGE', 'anonymise', '2027-03-01'],
    ['personal-data', 'GVE', 'anonymise', '2027-03-01'],
    ['personal-data', 'OGE', 'anonymise', '2026-12-20'],
    // Results without the person are statistics, kept longer than anything that names them.
    ['participant-results', 'EGE', 'destroy', '2031-06-20'],
    ['participant-results', 'OGE', 'destroy', '2031-06-20'],
    // Conflict-commission protocols: 3 years, whatever the exam.
    ['conflict-protocol', 'OGE', 'destroy', '2029-06-20'],
    // Training copies outlive the originals by the next season (order L207).
    ['training-copy', 'EGE', 'destroy', '2028-03-01'],
  ] as const)('%s of an %s exam on 20 June 2026: %s on %s', (material, kind, action, day) => {
    const policy = policyFor(material, on(kind));
    expect(policy.action).toBe(action);
    const w = retentionWindow(policy.rule, on(kind)).day;
    expect(`${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`).toBe(day);
  });
});
