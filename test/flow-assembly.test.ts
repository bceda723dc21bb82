/**
 * Work assembly on PGlite and PostgreSQL, from sheets as recognition and verification leave them: kits from
 * the printing system's CSV, additional AS2 chains from the verified link fields, incomplete works and
 * orphan sheets reported, personal data only in personal.*.
 */
import { describe, expect, it } from 'vitest';
import { shippedForms } from '../forms/definitions.ts';
import { migrate } from '../platform/migrate.ts';
import { ean13WithCheckDigit } from '../render/barcodes.ts';
import { assembleWorks, importKits, routeWork } from '../works/store.ts';
import { finalSheet as sheet } from './helpers.ts';
import { DATABASES, undoAfterAll } from './services.ts';

const undo = undoAfterAll();

describe.each(DATABASES)('work assembly on %s', (_name, open) => {
  it('puts each kit together with its additional AS2 chain and says what is missing', async () => {
    const db = await open();
    undo(() => db.close());
    await migrate(db);
    const n = (k: number, role: number) => ean13WithCheckDigit(`20260${k}${role}000000`.slice(0, 12));
    const [add1, add2, stray] = [
      ean13WithCheckDigit('500000000001'),
      ean13WithCheckDigit('500000000002'),
      ean13WithCheckDigit('500000000009'),
    ];
    // Kit 1: everything, two additional sheets chained. Kit 2: AS2 sheet 2 missing, a link unverified.
    await sheet(db, n(1, 1), 'ege-registration', {
      surname: 'ИВАНОВА',
      name: 'МАРИЯ',
      patronymic: 'ПЕТРОВНА',
      document_series: '4510',
      document_number: '123456',
    });
    await sheet(db, n(1, 2), 'ege-as1-2023');
    await sheet(db, n(1, 3), 'ege-as2-1');
    await sheet(db, n(1, 4), 'ege-as2-2', { additional_sheet: add1 });
    await sheet(db, add1, 'ege-as2-additional', { next_sheet: add2 });
    await sheet(db, add2, 'ege-as2-additional', { next_sheet: '' });
    await sheet(db, n(2, 1), 'ege-registration');
    await sheet(db, n(2, 2), 'ege-as1-2023');
    await sheet(db, n(2, 3), 'ege-as2-1', {});
    await sheet(db, stray, 'ege-as2-additional', { next_sheet: null });

    const csv = [
      'kit_id,registration,as1,as2_1,as2_2',
      `K1,${n(1, 1)},${n(1, 2)},${n(1, 3)},${n(1, 4)}`,
      `K2,${n(2, 1)},${n(2, 2)},${n(2, 3)},${n(2, 4)}`,
      'K3,1,2,3,4',
    ].join('\n');
    expect(await importKits(db, csv)).toEqual({
      kits: 2,
      kitIds: ['K1', 'K2'],
      errors: ['line 4: not an EAN-13 sheet number: 1, 2, 3, 4'],
      problems: [{ code: 'kits-bad-sheet-number', params: { line: 4, sheets: '1, 2, 3, 4' } }],
    });
    const report = await assembleWorks(db, shippedForms());
    const k1 = report.works.find((w) => w.kitId === 'K1')!;
    const k2 = report.works.find((w) => w.kitId === 'K2')!;
    expect(k1).toMatchObject({ status: 'complete', missing: [], additionalSheets: 2 });
    expect(k1.id).toMatch(/^W[A-Z2-9]{9}$/);
    expect(k2).toMatchObject({
      status: 'incomplete',
      missing: [`as2-2 ${n(2, 4)} not received`],
      reasons: [{ code: 'work-sheet-not-received', params: { role: 'as2-2', sheet: n(2, 4) } }],
    });
    expect(report.orphans).toEqual([{ sheetNumber: stray, form: 'ege-as2-additional' }]);
    const chain = await db.query<{ sheet_number: string; role: string; chain_position: number | null }>(
      `select sheet_number, role, chain_position from work_sheets where work_id = $1 and role = 'additional-as2'
       order by chain_position`,
      [k1.id],
    );
    expect(chain).toEqual([
      { sheet_number: add1, role: 'additional-as2', chain_position: 1 },
      { sheet_number: add2, role: 'additional-as2', chain_position: 2 },
    ]);

    // Assembly is repeatable: the same kit keeps its work code, and personal data stays in personal.*.
    const again = await assembleWorks(db, shippedForms());
    expect(again.works.find((w) => w.kitId === 'K1')?.id).toBe(k1.id);
    const [person] = await db.query<{ surname: string; work_id: string }>(
      `select p.surname, l.work_id from personal.participants p join personal.participant_works l on l.participant_id = p.id`,
    );
    expect(person).toEqual({ surname: 'ИВАНОВА', work_id: k1.id });
    const works = JSON.stringify(await db.query('select * from works'));
    expect(works).not.toContain('ИВАНОВА');
  });

  it.each([
    // AS2 answers (sheet 1, sheet 2), route
    ['blank, blank', '', '', 'blank-screening'],
    ['written, blank', 'written', '', 'checking'],
    ['blank, written', '', 'written', 'checking'],
    ['written, not verified yet', 'written', null, null],
  ] as const)('routes a complete work once: AS2 %s', async (_case, first, second, route) => {
    const db = await open();
    undo(() => db.close());
    await migrate(db);
    const n = (role: number) => ean13WithCheckDigit(`2026099${role}00000`.slice(0, 12));
    await sheet(db, n(1), 'ege-registration');
    await sheet(db, n(2), 'ege-as1-2023');
    await sheet(db, n(3), 'ege-as2-1', { answer: first });
    await sheet(db, n(4), 'ege-as2-2', { answer: second, additional_sheet: '' });
    await importKits(db, `kit_id,registration,as1,as2_1,as2_2\nK9,${n(1)},${n(2)},${n(3)},${n(4)}`);
    const [work] = (await assembleWorks(db, shippedForms())).works;
    expect(await routeWork(db, work!.id)).toBe(route);
    // Decided once: a second route changes nothing.
    expect(await routeWork(db, work!.id)).toBeNull();
    const [row] = await db.query<{ route: string | null }>('select route from works where id = $1', [
      work!.id,
    ]);
    expect(row?.route).toBe(route);
  });

  it('refuses a manifest without the expected header', async () => {
    const db = await open();
    undo(() => db.close());
    await migrate(db);
    expect(await importKits(db, 'kit,a,b\nK1,1,2')).toEqual({
      kits: 0,
      kitIds: [],
      errors: ['line 1: header must be kit_id,registration,as1,as2_1,as2_2, got kit,a,b'],
      problems: [
        {
          code: 'kits-bad-header',
          params: { expected: 'kit_id,registration,as1,as2_1,as2_2', got: 'kit,a,b' },
        },
      ],
    });
  });
});
