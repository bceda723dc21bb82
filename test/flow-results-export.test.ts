/**
 * Results out on PGlite and PostgreSQL (issue 16 item 3): an exam's complete results written by a layout for
 * the regional system (names from personal.*, the exam point and school from the registration form), the
 * results protocols per exam point as PDF read back with pdf-lib, the publication package's ZIP listing (road
 * map L407: the answer-sheet images and results for the results service) with a real page image from the
 * object store, and an audit entry per export: who, what, how many rows. Incomplete results are withheld.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { unzipSync } from 'fflate';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { type ExportLayout, loadExportLayouts, type NamedLayout } from '../domain/results-export.ts';
import { shippedForms } from '../forms/definitions.ts';
import type { Database, Queryable } from '../platform/db.ts';
import { registerExam } from '../platform/store/exams.ts';
import { ResultsError } from '../results/errors.ts';
import { exportProtocols, exportResults, publicationPackage } from '../results/export.ts';
import { computeResults, setVariant } from '../results/store.ts';
import { MOSCOW_EGE_02, SMALL_EXAM_BASIS, seedAs1Work } from './helpers.ts';
import { DATABASES, freshAdapters, undoAfterAll } from './services.ts';

const EXAM = 'ege-02-export';
const SHIPPED = loadExportLayouts(2026);
const layouts = (): NamedLayout[] => SHIPPED;

const undo = undoAfterAll();

/** The work's registration form, final, read with these fields. */
async function registration(db: Queryable, workId: string, fields: Record<string, string>) {
  const sheet = `reg-${workId}`;
  const image = createHash('sha256').update(sheet).digest('hex');
  await db.query(
    `insert into images (sha256, object_key, bytes, media_type) values ($1, $1, 1, 'image/png')`,
    [image],
  );
  await db.query(
    `insert into pages (id, image_sha256, page_index, status, form, sheet_number)
     values ($1, $2, 0, 'final', 'ege-registration', $3)`,
    [`${image}#1`, image, sheet],
  );
  await db.query(
    `insert into sheets (sheet_number, page_id, form, kind, status, work_id)
     values ($1, $2, 'ege-registration', 'registration', 'final', $3)`,
    [sheet, `${image}#1`, workId],
  );
  for (const [name, value] of Object.entries(fields))
    await db.query(
      `insert into fields (page_id, name, value, confidence, final_value, status) values ($1, $2, $3, 1, $3, 'accepted')`,
      [`${image}#1`, name, value],
    );
  await db.query(`insert into work_sheets (work_id, sheet_number, role) values ($1, $2, 'registration')`, [
    workId,
    sheet,
  ]);
}

const audits = (db: Queryable, action: string) =>
  db.query<{ subject: string; actor: string; detail: Record<string, unknown> }>(
    'select subject, actor, detail from audit_events where action = $1 order by id',
    [action],
  );

async function bytesOf(stream: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

describe.each(DATABASES)('results out on %s', (_name, open) => {
  it('writes results by layout, draws protocols per PPE, packs the publication, and audits each', async () => {
    const deps = await freshAdapters(open, undo, 'rcoi-results-export');
    const db: Database = deps.db;
    await registerExam(db, { ...MOSCOW_EGE_02, id: EXAM });
    // W1 and W2 complete (W1 registered with a name, exam point and school); W3 has no variant: withheld.
    await seedAs1Work(db, EXAM, 'W1', { final: true, values: { '1': '5', '2': '12' } });
    await seedAs1Work(db, EXAM, 'W2', { final: true, values: { '1': '5', '2': '0' } });
    await seedAs1Work(db, EXAM, 'W3', { final: true, values: { '1': '5' } });
    for (const [w, total] of [
      ['W1', 3],
      ['W2', 1],
      ['W3', 0],
    ] as const)
      await db.query(
        `insert into work_results (work_id, scores, total, basis) values ($1, $2, $3, 'two-experts')`,
        [w, JSON.stringify({ '4': total }), total],
      );
    await setVariant(db, 'W1', '7', 'operator');
    await setVariant(db, 'W2', '7', 'operator');
    await registration(db, 'W1', { ppe_code: '0101', school_code: '770001' });
    const [p] = await db.query<{ id: number }>(
      `insert into personal.participants (surname, name, patronymic, document, registration_sheet)
       values ('Ёжикова', 'Анна', 'Сергеевна', '4510 123456', 'reg-W1') returning id`,
    );
    await db.query('insert into personal.participant_works (participant_id, work_id) values ($1, $2)', [
      p!.id,
      'W1',
    ]);
    expect(await computeResults(db, SMALL_EXAM_BASIS, EXAM, 'chair-1')).toMatchObject({
      complete: 2,
      incomplete: 1,
    });

    // The regional system's file: Windows-1251 CSV, the registered participant named, W2 without one.
    const file = await exportResults(db, layouts, EXAM, 'regional', 'chair-1');
    expect([file.rows, file.withheld, file.fileName]).toEqual([2, 1, `${EXAM}-regional.csv`]);
    expect(new TextDecoder('windows-1251').decode(file.bytes).split('\r\n')).toEqual([
      expect.stringMatching(/^Код работы;Фамилия;/),
      'W1;Ёжикова;Анна;Сергеевна;4510 123456;ЕГЭ;02;2026-06-01;0101;770001;7;1,1;3;5;100',
      'W2;;;;;ЕГЭ;02;2026-06-01;;;7;1,0;1;2;40',
      '',
    ]);
    const federal = await exportResults(db, layouts, EXAM, 'federal', 'chair-2');
    const xml = new TextDecoder().decode(federal.bytes);
    expect(xml).toContain('<Participant WorkCode="W1" ExamType="1" SubjectCode="02">');
    expect(xml).not.toContain('Ёжикова');
    await expect(exportResults(db, layouts, EXAM, 'nope', 'chair-1')).rejects.toThrow(ResultsError);
    await expect(exportResults(db, layouts, 'no-exam', 'regional', 'chair-1')).rejects.toMatchObject({
      code: 'no-such-exam',
    });
    // A name the layout's encoding cannot hold refuses the file, naming where; nothing is audited for it.
    const latin: ExportLayout = { ...SHIPPED.find((l) => l.name === 'regional')!.layout };
    await db.query(`update personal.participants set surname = 'Ŋ' where id = $1`, [p!.id]);
    await expect(
      exportResults(db, () => [{ name: 'odd', layout: latin }], EXAM, 'odd', 'chair-1'),
    ).rejects.toMatchObject({ code: 'unencodable', message: expect.stringContaining('row 1, Фамилия') });
    await db.query(`update personal.participants set surname = 'Ёжикова' where id = $1`, [p!.id]);

    // Protocols per exam point: one for PPE 0101 (W1), one for those whose PPE is not known (W2).
    const pdf = await PDFDocument.load(await exportProtocols(db, EXAM, 'ppe', 'chair-1'));
    expect(pdf.getPageCount()).toBe(2);
    expect(pdf.getTitle()).toBe('Протоколы результатов ЕГЭ, предмет 02, 01.06.2026');
    const bySchool = await PDFDocument.load(await exportProtocols(db, EXAM, 'school', 'chair-1'));
    expect(bySchool.getPageCount()).toBe(2);
    const onePpe = await PDFDocument.load(await exportProtocols(db, EXAM, 'ppe', 'chair-1', '0101'));
    expect(onePpe.getPageCount()).toBe(1);

    // The publication package: W1's answer sheet 1 drawn from its scan in the object store, W2's page has
    // no registration and says so; each with its results file.
    const scan = await sharp({ create: { width: 420, height: 594, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const sha = createHash('sha256').update(scan).digest('hex');
    await deps.objects.put(`scans/${sha}`, scan, {
      material: 'scan-file',
      examDate: '2026-06-01',
      sha256: sha,
      contentType: 'image/png',
    });
    await db.query(
      `insert into images (sha256, object_key, bytes, media_type) values ($1, $2, $3, 'image/png')`,
      [sha, `scans/${sha}`, scan.length],
    );
    await db.query(
      `update pages set image_sha256 = $1, recognition = $2
       where id = (select page_id from sheets where sheet_number = 'as1-W1')`,
      [sha, JSON.stringify({ registration: { transform: [2, 0, 0, 0, 2, 0, 0, 0, 1] } })],
    );
    const { zip, fileName } = await publicationPackage(deps, shippedForms(), layouts, EXAM, 'chair-1');
    expect(fileName).toBe(`${EXAM}-publication.zip`);
    const files = unzipSync(await bytesOf(zip));
    expect(Object.keys(files).sort()).toEqual([
      'W1/as1.jpg',
      'W1/results.csv',
      'W2/as1.txt',
      'W2/results.csv',
    ]);
    expect((await sharp(files['W1/as1.jpg']!).metadata()).format).toBe('jpeg');
    expect(new TextDecoder().decode(files['W1/results.csv']).split('\r\n')[1]).toBe(
      'W1;ЕГЭ;02;2026-06-01;7;1 1;3;5;100',
    );

    // Every export audited: who, what, how many rows; the refused encodings and unknown layouts not.
    expect((await audits(db, 'export.results')).map((a) => [a.subject, a.actor, a.detail])).toEqual([
      [
        `exam:${EXAM}`,
        'chair-1',
        {
          layout: 'regional',
          recipient: 'regional',
          format: 'csv',
          encoding: 'windows-1251',
          rows: 2,
          withheld: 1,
          sha256: createHash('sha256').update(file.bytes).digest('hex'),
        },
      ],
      [`exam:${EXAM}`, 'chair-2', expect.objectContaining({ layout: 'federal', rows: 2, withheld: 1 })],
    ]);
    expect((await audits(db, 'export.results-protocols')).map((a) => a.detail)).toEqual([
      { by: 'ppe', groups: 2, rows: 2, withheld: 1 },
      { by: 'school', groups: 2, rows: 2, withheld: 1 },
      { by: 'ppe', group: '0101', groups: 1, rows: 1, withheld: 1 },
    ]);
    expect((await audits(db, 'export.publication')).map((a) => [a.actor, a.detail])).toEqual([
      ['chair-1', { layout: 'publication', rows: 2, withheld: 1, images: 2 }],
    ]);
  }, 120_000);
});
