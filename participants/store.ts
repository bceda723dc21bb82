/**
 * The regional information system's export taken in: exam points, participants and kits, all or nothing in
 * one transaction. The references are checked against what the import itself brings and what the database
 * holds (fetched for the names the import uses only); a participant who refused processing of personal data
 * is written under the code alone, which the database's own check insists on (migration 0015).
 */
import { KIT_ROLES } from '../domain/kits.ts';
import {
  participantKey,
  type RisError,
  type RisFile,
  type RisMapping,
  type RisRecords,
  readRisFiles,
  risReferences,
  validateRis,
} from '../domain/ris.ts';
import { personalFields, shippedForms } from '../forms/definitions.ts';
import type { FormDefinition } from '../forms/schema.ts';
import { ean13CheckDigitValid } from '../pipeline/barcodes.ts';
import type { Database, Queryable } from '../platform/db.ts';
import { audit } from '../platform/store/audit.ts';
import { withholdFields } from '../verification/store.ts';
import { saveKits } from '../works/store.ts';

export type RisImport =
  | { imported: true; ppes: number; participants: number; refused: number; kits: number; kitIds: string[] }
  | { imported: false; errors: RisError[] };

/**
 * Reads, checks and (only when nothing is wrong anywhere) stores an export; audited by counts only. `forms`
 * say which fields of a registration form already read are personal, and so erased for one who refused.
 */
export async function importRis(
  db: Database,
  mapping: RisMapping,
  files: readonly RisFile[],
  actor: string,
  forms: readonly FormDefinition[] = shippedForms(),
): Promise<RisImport> {
  const read = readRisFiles(mapping, files);
  return db.transaction(async (tx) => {
    const refs = risReferences(read.rows);
    const result = validateRis(read, await facts(tx, refs));
    if (!result.ok) return { imported: false, errors: result.errors };
    await save(tx, result.records);
    await withholdRefused(tx, forms, result.records, actor);
    const counts = {
      ppes: result.records.ppes.length,
      participants: result.records.participants.length,
      refused: result.records.participants.filter((p) => p.person === null).length,
      kits: result.records.kits.length,
    };
    await audit(tx, actor, 'ris.import', `ris:${mapping.region}:${mapping.year}`, {
      files: files.map((f) => f.name),
      ...counts,
    });
    return { imported: true, ...counts, kitIds: result.records.kits.map((k) => k.id) };
  });
}

async function facts(tx: Queryable, refs: ReturnType<typeof risReferences>) {
  const exams = await tx.query<{ id: string }>('select id from exams');
  const ppes = await tx.query<{ code: string }>('select code from ppes');
  const participants = await tx.query<{ exam_id: string; code: string }>(
    `select p.exam_id, p.code from personal.participants p
       join unnest($1::text[], $2::text[]) r(exam, code) on p.exam_id = r.exam and p.code = r.code`,
    [refs.participants.map((p) => p.exam), refs.participants.map((p) => p.code)],
  );
  const kits = await tx.query<{ sheet_number: string; kit_id: string }>(
    'select sheet_number, kit_id from kits where sheet_number = any($1::text[])',
    [refs.sheets],
  );
  return {
    exams: new Set(exams.map((e) => e.id)),
    ppes: new Set(ppes.map((p) => p.code)),
    participants: new Set(participants.map((p) => participantKey(p.exam_id, p.code))),
    kitOfSheet: new Map(kits.map((k) => [k.sheet_number, k.kit_id])),
    sheetNumberValid: ean13CheckDigitValid,
  };
}

async function save(tx: Queryable, records: RisRecords): Promise<void> {
  const { ppes, participants, kits } = records;
  const col = <T, K extends keyof T>(rows: readonly T[], key: K) => rows.map((r) => r[key]);
  await tx.query(
    `insert into ppes (code, name, address) select * from unnest($1::text[], $2::text[], $3::text[])
     on conflict (code) do update set name = excluded.name, address = excluded.address`,
    [col(ppes, 'code'), col(ppes, 'name'), col(ppes, 'address')],
  );
  // A refused participant's row carries nulls for every personal column, also over what was there before.
  const person = participants.map((p) => p.person);
  await tx.query(
    `insert into personal.participants
       (exam_id, code, ppe_code, school, refused_processing, surname, name, patronymic, document, birth_date)
     select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::text[], $7::text[],
       $8::text[], $9::text[], $10::date[])
     on conflict (exam_id, code) do update set ppe_code = excluded.ppe_code, school = excluded.school,
       refused_processing = excluded.refused_processing, surname = excluded.surname, name = excluded.name,
       patronymic = excluded.patronymic, document = excluded.document, birth_date = excluded.birth_date`,
    [
      col(participants, 'exam'),
      col(participants, 'code'),
      col(participants, 'ppe'),
      col(participants, 'school'),
      person.map((p) => p === null),
      person.map((p) => p?.surname ?? null),
      person.map((p) => p?.name ?? null),
      person.map((p) => p?.patronymic ?? null),
      person.map((p) => (p ? [p.documentSeries, p.documentNumber].filter(Boolean).join(' ') : null)),
      person.map((p) => p?.birthDate ?? null),
    ],
  );
  await saveKits(
    tx,
    kits.flatMap((k) => KIT_ROLES.map((role) => ({ kit: k.id, role, sheet: k.sheets[role] }))),
  );
  const sheets = kits.map((k) => k.sheets.registration);
  const link = [col(kits, 'exam'), col(kits, 'participant'), sheets];
  // A registration form assembled before the export came made a participant from the form's reading: its
  // work goes to the registered participant and the reading is dropped (for one who refused: it must be).
  await tx.query(
    `update personal.participant_works w set participant_id = p.id
     from unnest($1::text[], $2::text[], $3::text[]) k(exam, code, sheet)
       join personal.participants o on o.registration_sheet = k.sheet and o.code is null
       join personal.participants p on p.exam_id = k.exam and p.code = k.code
     where w.participant_id = o.id`,
    link,
  );
  await tx.query(
    'delete from personal.participants where registration_sheet = any($1::text[]) and code is null',
    [sheets],
  );
  // The kit's registration sheet names its participant; a sheet moved to another kit leaves its old holder.
  await tx.query(
    'update personal.participants set registration_sheet = null where registration_sheet = any($1::text[])',
    [sheets],
  );
  await tx.query(
    `update personal.participants p set registration_sheet = k.sheet
     from unnest($1::text[], $2::text[], $3::text[]) k(exam, code, sheet)
     where p.exam_id = k.exam and p.code = k.code`,
    link,
  );
}

/**
 * A registration form recognised before the export said its participant refused processing of personal data
 * (order L21, L561-562, L693): what was read and verified of its personal fields is erased now, as the
 * recogniser withholds it once the refusal is known.
 */
async function withholdRefused(
  tx: Queryable,
  forms: readonly FormDefinition[],
  records: RisRecords,
  actor: string,
): Promise<void> {
  const personal = new Map(forms.map((f) => [f.id, personalFields(f)]));
  // The participants this export names, whether their kits came with it or before.
  const pages = await tx.query<{ id: string; form: string }>(
    `select pg.id, pg.form from unnest($1::text[], $2::text[]) named(exam, code)
       join personal.participants p on p.exam_id = named.exam and p.code = named.code and p.refused_processing
       join pages pg on pg.sheet_number = p.registration_sheet
     where exists (select 1 from fields f where f.page_id = pg.id and f.name = any($3::text[])
                     and f.value || coalesce(f.final_value, '') <> '')
        or exists (select 1 from verification_tasks t where t.page_id = pg.id and t.field = any($3::text[])
                     and t.status <> 'done')`,
    [
      records.participants.map((p) => p.exam),
      records.participants.map((p) => p.code),
      [...new Set([...personal.values()].flat())],
    ],
  );
  for (const page of pages) {
    const names = personal.get(page.form) ?? [];
    if (names.length > 0) await withholdFields(tx, forms, page.id, names, actor);
  }
}
