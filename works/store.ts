/**
 * Work assembly: one participant's registration form, AS1, AS2 sheets 1 and 2 and the chain of additional
 * AS2s hanging off sheet 2, put together by barcode. The printing system's kit manifest says which sheet
 * numbers were issued together; the additional-AS2 chain is read from the verified link fields. A work is
 * known by a random code; the link between a participant and that code lives only in personal.*.
 */
import { randomBytes } from 'node:crypto';
import type { AssembledWork, AssemblyReport } from '../contract/works.ts';
import { KIT_ROLES, type KitRole, kitRoles } from '../domain/kits.ts';
import type { FormDefinition } from '../forms/schema.ts';
import { ean13CheckDigitValid } from '../pipeline/barcodes.ts';
import type { Database, Queryable } from '../platform/db.ts';

const KIT_COLUMNS = ['kit_id', 'registration', 'as1', 'as2_1', 'as2_2'];

/** A line of a kit manifest that could not be taken, as a code the stations say in Russian. */
type KitProblem =
  | { code: 'kits-bad-header'; params: { expected: string; got: string } }
  | { code: 'kits-bad-columns'; params: { line: number; columns: number; need: number } }
  | { code: 'kits-bad-sheet-number'; params: { line: number; sheets: string } };

/** The problem in English, for logs and API callers. */
function kitProblemText({ code, params: p }: KitProblem): string {
  switch (code) {
    case 'kits-bad-header':
      return `line 1: header must be ${p.expected}, got ${p.got}`;
    case 'kits-bad-columns':
      return `line ${p.line}: ${p.columns} columns, need ${p.need}`;
    case 'kits-bad-sheet-number':
      return `line ${p.line}: not an EAN-13 sheet number: ${p.sheets}`;
  }
}

/**
 * Imports the printing system's kit manifest: CSV with the header kit_id,registration,as1,as2_1,as2_2 and one
 * kit per line. Lines with a malformed barcode are reported and skipped, the rest imported.
 */
export async function importKits(
  db: Database,
  csv: string,
): Promise<{ kits: number; kitIds: string[]; errors: string[]; problems: KitProblem[] }> {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines.shift() ?? '').split(',').map((h) => h.trim());
  const problems: KitProblem[] = [];
  const rows: { kit: string; role: KitRole; sheet: string }[] = [];
  if (header.join(',') !== KIT_COLUMNS.join(','))
    problems.push({
      code: 'kits-bad-header',
      params: { expected: KIT_COLUMNS.join(','), got: header.join(',') },
    });
  else
    lines.forEach((line, i) => {
      const cells = line.split(',').map((c) => c.trim());
      const [kit, ...sheets] = cells;
      if (cells.length !== KIT_COLUMNS.length || !kit) {
        problems.push({
          code: 'kits-bad-columns',
          params: { line: i + 2, columns: cells.length, need: KIT_COLUMNS.length },
        });
        return;
      }
      const bad = sheets.filter((s) => !ean13CheckDigitValid(s));
      if (bad.length > 0) {
        problems.push({ code: 'kits-bad-sheet-number', params: { line: i + 2, sheets: bad.join(', ') } });
        return;
      }
      for (const [r, role] of KIT_ROLES.entries()) rows.push({ kit, role, sheet: sheets[r]! });
    });
  if (rows.length > 0) await db.transaction((tx) => saveKits(tx, rows));
  const kitIds = [...new Set(rows.map((r) => r.kit))];
  return { kits: kitIds.length, kitIds, errors: problems.map(kitProblemText), problems };
}

/** Kits' sheet numbers by role, from the printing system's manifest or the regional system's export. */
export async function saveKits(
  tx: Queryable,
  rows: readonly { kit: string; role: KitRole; sheet: string }[],
): Promise<void> {
  await tx.query(
    `insert into kits (kit_id, role, sheet_number)
     select * from unnest($1::text[], $2::text[], $3::text[])
     on conflict (kit_id, role) do update set sheet_number = excluded.sheet_number`,
    [rows.map((r) => r.kit), rows.map((r) => r.role), rows.map((r) => r.sheet)],
  );
}

function newWorkCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  return `W${[...randomBytes(9)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

async function linkValue(
  tx: Queryable,
  sheet: string,
  field: string,
): Promise<{ value: string | null } | null> {
  const [row] = await tx.query<{ value: string | null }>(
    `select f.final_value as value from sheets s join fields f on f.page_id = s.page_id and f.name = $2
     where s.sheet_number = $1`,
    [sheet, field],
  );
  return row ?? null;
}

interface SheetRow {
  sheet_number: string;
  form: string;
  status: string;
}

async function sheetRow(tx: Queryable, number: string): Promise<SheetRow | undefined> {
  const [row] = await tx.query<SheetRow>(
    'select sheet_number, form, status from sheets where sheet_number = $1',
    [number],
  );
  return row;
}

/** Why a work is incomplete, as a code the stations say in Russian and its parameters. */
type WorkGap =
  | { code: 'work-sheet-not-received' | 'work-sheet-not-verified'; params: { role: string; sheet: string } }
  | { code: 'work-sheet-other-form'; params: { role: string; sheet: string; form: string } }
  | {
      code: 'work-link-not-verified' | 'work-chain-loops' | 'work-additional-not-verified';
      params: { sheet: string };
    }
  | { code: 'work-additional-not-received'; params: { sheet: string; from: string } };

/** The gap in English, for logs and API callers. */
function gapText({ code, params: p }: WorkGap): string {
  switch (code) {
    case 'work-sheet-not-received':
      return `${p.role} ${p.sheet} not received`;
    case 'work-sheet-other-form':
      return `${p.role} ${p.sheet} was read as a ${p.form} sheet`;
    case 'work-sheet-not-verified':
      return `${p.role} ${p.sheet} not verified yet`;
    case 'work-link-not-verified':
      return `link on ${p.sheet} not verified yet`;
    case 'work-chain-loops':
      return `additional AS2 chain loops back to ${p.sheet}`;
    case 'work-additional-not-received':
      return `additional AS2 ${p.sheet} (linked from ${p.from}) not received`;
    case 'work-additional-not-verified':
      return `additional AS2 ${p.sheet} not verified yet`;
  }
}

/**
 * Puts one kit's work together from the sheets there are now (again: assembly is repeatable as sheets arrive
 * and are verified). Runs under a lock on the kit, so two jobs finishing its sheets at once make one work.
 */
export async function assembleKit(
  tx: Queryable,
  forms: readonly FormDefinition[],
  kitId: string,
): Promise<AssembledWork | null> {
  await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`kit:${kitId}`]);
  // The kit's sheets with what is known of them, in one round trip: the lock is held until the commit.
  const kitRows = await tx.query<{
    role: KitRole;
    sheet_number: string;
    form: string | null;
    status: string | null;
  }>(
    `select k.role, k.sheet_number, s.form, s.status from kits k
       left join sheets s on s.sheet_number = k.sheet_number
     where k.kit_id = $1`,
    [kitId],
  );
  if (kitRows.length === 0) return null;
  const roles = new Map(kitRows.map((k) => [k.role, k]));
  const roleOfForm = kitRoles(forms);
  const missing: WorkGap[] = [];
  const members: { sheet: string; role: string; position: number | null }[] = [];
  for (const role of KIT_ROLES) {
    const { sheet_number: number, form, status } = roles.get(role)!;
    if (!form) missing.push({ code: 'work-sheet-not-received', params: { role, sheet: number } });
    else {
      if (roleOfForm.get(form) !== role)
        missing.push({ code: 'work-sheet-other-form', params: { role, sheet: number, form } });
      else if (status !== 'final')
        missing.push({ code: 'work-sheet-not-verified', params: { role, sheet: number } });
      members.push({ sheet: number, role, position: null });
    }
  }
  // The additional-AS2 chain: sheet 2's link, then each additional sheet's next-sheet link.
  let from = roles.get('as2-2')!.sheet_number;
  let link = members.some((m) => m.sheet === from) ? await linkValue(tx, from, 'additional_sheet') : null;
  for (let position = 1; link; position++) {
    if (link.value === null) {
      missing.push({ code: 'work-link-not-verified', params: { sheet: from } });
      break;
    }
    if (link.value === '') break;
    const next = link.value;
    if (members.some((m) => m.sheet === next)) {
      missing.push({ code: 'work-chain-loops', params: { sheet: next } });
      break;
    }
    const sheet = await sheetRow(tx, next);
    if (!sheet) {
      missing.push({ code: 'work-additional-not-received', params: { sheet: next, from } });
      break;
    }
    if (sheet.status !== 'final')
      missing.push({ code: 'work-additional-not-verified', params: { sheet: next } });
    members.push({ sheet: next, role: 'additional-as2', position });
    from = next;
    link = await linkValue(tx, next, 'next_sheet');
  }
  const status = missing.length === 0 ? 'complete' : 'incomplete';
  // The exam is the one its sheets were delivered for.
  const sheets = members.map((m) => m.sheet);
  const examId = await examOfSheets(tx, sheets);
  // A kit's work keeps its code: a new one is made only for its first assembly.
  const [work] = await tx.query<{ id: string }>(
    `insert into works (id, kit_id, status, exam_id) values ($1, $2, $3, $4)
     on conflict (kit_id) do update set status = $3, exam_id = coalesce(works.exam_id, $4), assembled_at = now()
     returning id`,
    [newWorkCode(), kitId, status, examId],
  );
  const id = work!.id;
  await tx.query('delete from work_sheets where work_id = $1', [id]);
  await tx.query(
    `insert into work_sheets (work_id, sheet_number, role, chain_position)
     select $1, * from unnest($2::text[], $3::text[], $4::int[])
     on conflict (sheet_number) do nothing`,
    [id, sheets, members.map((m) => m.role), members.map((m) => m.position)],
  );
  await tx.query('update sheets set work_id = $1 where sheet_number = any($2::text[])', [id, sheets]);
  const registration = roles.get('registration')!;
  if (registration.status === 'final') await linkParticipant(tx, id, registration.sheet_number);
  return {
    id,
    kitId,
    status,
    missing: missing.map(gapText),
    reasons: missing,
    additionalSheets: members.filter((m) => m.role === 'additional-as2').length,
  };
}

/** The exam sheets were delivered for: the batch of one of their pages' images. */
export async function examOfSheets(db: Queryable, sheets: string[]): Promise<string | null> {
  const [exam] = await db.query<{ exam_id: string }>(
    `select b.exam_id from sheets s join pages p on p.id = s.page_id
       join batch_items i on i.image_sha256 = p.image_sha256 join batches b on b.id = i.batch_id
     where s.sheet_number = any($1::text[]) and b.exam_id is not null limit 1`,
    [sheets],
  );
  return exam?.exam_id ?? null;
}

/** The kit a sheet belongs to: its own, or, for an additional AS2, the kit at the head of its chain. */
export async function kitOfSheet(db: Queryable, sheetNumber: string): Promise<string | null> {
  const seen = new Set<string>();
  for (let sheet = sheetNumber; !seen.has(sheet); ) {
    seen.add(sheet);
    const [kit] = await db.query<{ kit_id: string }>('select kit_id from kits where sheet_number = $1', [
      sheet,
    ]);
    if (kit) return kit.kit_id;
    const [previous] = await db.query<{ sheet_number: string }>(
      `select s.sheet_number from fields f join sheets s on s.page_id = f.page_id
       where f.final_value = $1 and f.name in ('additional_sheet', 'next_sheet') limit 1`,
      [sheet],
    );
    if (!previous) return null;
    sheet = previous.sheet_number;
  }
  return null;
}

/** Assembles every imported kit and lists the sheets no kit claims. */
export async function assembleWorks(db: Database, forms: readonly FormDefinition[]): Promise<AssemblyReport> {
  const kits = await db.query<{ kit_id: string }>('select distinct kit_id from kits order by kit_id');
  const works: AssembledWork[] = [];
  for (const { kit_id } of kits) {
    const work = await db.transaction((tx) => assembleKit(tx, forms, kit_id));
    if (work) works.push(work);
  }
  const orphans = await db.query<{ sheetNumber: string; form: string }>(
    `select s.sheet_number as "sheetNumber", s.form from sheets s
     where not exists (select 1 from work_sheets w where w.sheet_number = s.sheet_number)
     order by s.sheet_number`,
  );
  return { works, orphans };
}

export type WorkRoute = 'blank-screening' | 'checking';

/**
 * Sends a complete work on, once: to blank-AS2 screening when every AS2 sheet of it was read (and verified)
 * as blank, otherwise to expert checking. Null when the work is not complete or was routed before.
 */
export async function routeWork(db: Queryable, workId: string): Promise<WorkRoute | null> {
  const answers = await db.query<{ value: string | null }>(
    `select f.final_value as value from work_sheets w join sheets s on s.sheet_number = w.sheet_number
       join fields f on f.page_id = s.page_id and f.name = 'answer'
     where w.work_id = $1 and w.role in ('as2-1', 'as2-2', 'additional-as2')`,
    [workId],
  );
  if (answers.length === 0 || answers.some((a) => a.value === null)) return null;
  const route: WorkRoute = answers.every((a) => a.value === '') ? 'blank-screening' : 'checking';
  const [routed] = await db.query<{ route: WorkRoute }>(
    `update works set route = $2, routed_at = now() where id = $1 and status = 'complete' and routed_at is null
     returning route`,
    [workId, route],
  );
  return routed?.route ?? null;
}

/**
 * A final registration form's personal fields, kept apart, and the one link from the participant to the work.
 */
async function linkParticipant(tx: Queryable, workId: string, registration: string): Promise<void> {
  const rows = await tx.query<{ name: string; value: string }>(
    `select f.name, f.final_value as value from sheets s join fields f on f.page_id = s.page_id
     where s.sheet_number = $1 and f.name in ('surname', 'name', 'patronymic', 'document_series', 'document_number')`,
    [registration],
  );
  const v = Object.fromEntries(rows.map((r) => [r.name, r.value]));
  // A participant the regional system registered (by code) keeps what it registered, and one who refused
  // processing of personal data gets none: the form's reading never overwrites either.
  await tx.query(
    `insert into personal.participants (surname, name, patronymic, document, registration_sheet)
     values ($1, $2, $3, $4, $5)
     on conflict (registration_sheet) do update set surname = $1, name = $2, patronymic = $3, document = $4
     where personal.participants.code is null`,
    [
      v.surname ?? '',
      v.name ?? '',
      v.patronymic ?? '',
      `${v.document_series ?? ''} ${v.document_number ?? ''}`.trim(),
      registration,
    ],
  );
  await tx.query(
    `insert into personal.participant_works (participant_id, work_id)
     select id, $2 from personal.participants where registration_sheet = $1 on conflict do nothing`,
    [registration, workId],
  );
}

/** The work's answer-sheet-2 pages in reading order: sheet 1, sheet 2, then the additional sheets' chain. */
export async function as2Pages(db: Queryable, workId: string): Promise<string[]> {
  const rows = await db.query<{ page_id: string }>(
    `select s.page_id from work_sheets w join sheets s on s.sheet_number = w.sheet_number
     where w.work_id = $1 and w.role in ('as2-1', 'as2-2', 'additional-as2')
     order by case w.role when 'as2-1' then 0 when 'as2-2' then 1 else 2 end, w.chain_position`,
    [workId],
  );
  return rows.map((r) => r.page_id);
}

/** Kits with a final sheet that changed after their last assembly, or never assembled: what assembly is due for. */
export async function kitsToReassemble(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ kit_id: string }>(
    `select k.kit_id from kits k join sheets s on s.sheet_number = k.sheet_number and s.status = 'final'
       left join works w on w.kit_id = k.kit_id
     group by k.kit_id having max(w.assembled_at) is null or max(s.updated_at) > max(w.assembled_at)`,
  );
  return rows.map((r) => r.kit_id);
}

/** Complete works not yet routed. */
export async function unroutedWorks(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `select id from works where status = 'complete' and routed_at is null`,
  );
  return rows.map((r) => r.id);
}

/** How many works there are by assembly status and route (null: not yet routed). */
export async function workCounts(
  db: Queryable,
): Promise<{ status: string; route: string | null; n: number }[]> {
  return db.query(
    'select status, route, count(*)::int as n from works group by status, route order by status, route',
  );
}
