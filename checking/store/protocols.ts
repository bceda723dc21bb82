/**
 * Checking protocols in the database: each printed protocol under its sheet number, line by line, so its
 * scan can be read back; its status from printed to scored, rejected or void.
 */
import type { Protocol, ProtocolStatus } from '../../contract/checking.ts';
import type { PrintedProtocol, ProtocolLine } from '../../domain/protocols.ts';
import type { Database, Queryable } from '../../platform/db.ts';
import { audit } from '../../platform/store/audit.ts';
import type { CheckRow } from './checks.ts';

/** A check to print, with its exam and the protocol it is on already (if one is out with the expert). */
export type CheckToPrint = Pick<
  CheckRow,
  'id' | 'work_id' | 'exam_id' | 'round' | 'tasks' | 'status' | 'expert_id'
> & {
  year: number;
  kind: string;
  grade: number | null;
  subject_code: string;
  on_paper: string | null;
};

/** The checks, locked for the caller's transaction, by id. */
export async function checksToPrint(tx: Queryable, checkIds: number[]): Promise<Map<number, CheckToPrint>> {
  const rows = await tx.query<CheckToPrint>(
    `select c.id, c.work_id, c.exam_id, c.round, c.tasks, c.status, c.expert_id, e.year, e.kind, e.grade, e.subject_code,
       (select p.sheet_number from protocol_lines l join protocols p on p.sheet_number = l.sheet_number
        where l.check_id = c.id and p.status = 'printed' limit 1) as on_paper
     from checks c join exams e on e.id = c.exam_id where c.id = any($1::bigint[])
     for update of c`,
    [checkIds],
  );
  return new Map(rows.map((r) => [Number(r.id), { ...r, id: Number(r.id) }]));
}

/** The next number of the protocols' sequence (the sheet number's digits before the check digit). */
export async function nextProtocolNumber(tx: Queryable): Promise<string> {
  const [n] = await tx.query<{ n: string }>(`select nextval('protocol_numbers')::text as n`);
  return n!.n;
}

/** Records a protocol as printed, with its lines. */
export async function recordProtocol(tx: Queryable, p: PrintedProtocol, expertId: string, chairId: string) {
  await tx.query(
    'insert into protocols (sheet_number, exam_id, expert_id, printed_by) values ($1, $2, $3, $4)',
    [p.sheetNumber, p.examId, expertId, chairId],
  );
  await tx.query(
    `insert into protocol_lines (sheet_number, line, check_id, criteria)
     select $1, t.line, t.check_id, string_to_array(t.criteria, ',')
     from unnest($2::int[], $3::bigint[], $4::text[]) as t(line, check_id, criteria)`,
    [
      p.sheetNumber,
      p.lines.map((l) => l.line),
      p.lines.map((l) => l.checkId),
      p.lines.map((l) => l.criteria.join(',')),
    ],
  );
}

export async function protocolLines(tx: Queryable, sheetNumber: string): Promise<ProtocolLine[]> {
  const rows = await tx.query<{ line: number; check_id: number; work_id: string; criteria: string[] }>(
    `select l.line, l.check_id, c.work_id, l.criteria from protocol_lines l join checks c on c.id = l.check_id
     where l.sheet_number = $1 order by l.line`,
    [sheetNumber],
  );
  return rows.map((r) => ({
    line: r.line,
    checkId: Number(r.check_id),
    workCode: r.work_id,
    criteria: r.criteria,
  }));
}

/** Protocols `p` with the code `x.code` of the expert each was printed for (in its exam's year and subject). */
const WITH_EXPERT_CODE = `from protocols p join exams e on e.id = p.exam_id
  left join experts x on x.user_id = p.expert_id and x.year = e.year and x.subject_code = e.subject_code`;

/** A protocol as it was printed, to print again (the same sheet number: a jammed printer, a lost page). */
export async function printedProtocol(db: Queryable, sheetNumber: string): Promise<PrintedProtocol | null> {
  const [p] = await db.query<{ exam_id: string; code: string | null }>(
    `select p.exam_id, x.code ${WITH_EXPERT_CODE} where p.sheet_number = $1 and p.status = 'printed'`,
    [sheetNumber],
  );
  if (!p) return null;
  return {
    sheetNumber,
    examId: p.exam_id,
    expertCode: p.code ?? '',
    lines: await protocolLines(db, sheetNumber),
  };
}

/** The protocol, locked, with its expert and their code; undefined if there is none by that number. */
export async function lockedProtocol(tx: Queryable, sheetNumber: string) {
  const [p] = await tx.query<{ status: ProtocolStatus; expert_id: string; code: string | null }>(
    `select p.status, p.expert_id, x.code ${WITH_EXPERT_CODE} where p.sheet_number = $1 for update of p`,
    [sheetNumber],
  );
  return p;
}

/** The final values of the protocol's scanned sheet, by field name (none until the scan is final). */
export async function protocolScan(tx: Queryable, sheetNumber: string): Promise<Record<string, string>> {
  const fields = await tx.query<{ name: string; value: string | null }>(
    `select f.name, f.final_value as value from sheets s join fields f on f.page_id = s.page_id
     where s.sheet_number = $1 and s.status = 'final'`,
    [sheetNumber],
  );
  return Object.fromEntries(fields.map((f) => [f.name, f.value ?? '']));
}

export async function markScored(tx: Queryable, sheetNumber: string, now: Date): Promise<void> {
  await tx.query(`update protocols set status = 'scored', settled_at = $2 where sheet_number = $1`, [
    sheetNumber,
    now,
  ]);
}

/** A printed protocol that cannot be taken whole is rejected with the reason, for the chair to void. Audited. */
export async function rejectProtocol(
  db: Database,
  sheetNumber: string,
  reason: string,
  now: Date,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(
      `update protocols set status = 'rejected', reason = $2, settled_at = $3
       where sheet_number = $1 and status = 'printed'`,
      [sheetNumber, reason, now],
    );
    await audit(tx, 'protocol-stage', 'checking.protocol-rejected', `protocol:${sheetNumber}`, { reason });
  });
}

/** A spoiled or rejected protocol is voided (with the reason) so its checks can be printed again. */
export async function voidProtocol(
  db: Database,
  chairId: string,
  sheetNumber: string,
  reason: string,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const rows = await tx.query(
      `update protocols set status = 'void', reason = $2, settled_at = now()
       where sheet_number = $1 and status in ('printed', 'rejected') returning sheet_number`,
      [sheetNumber, reason],
    );
    if (rows.length > 0)
      await audit(tx, chairId, 'checking.protocol-void', `protocol:${sheetNumber}`, { reason });
    return rows.length > 0;
  });
}

/** The latest protocols first (a thousand at most), of one status or all, with how many checks each carries. */
export async function listProtocols(db: Queryable, status: ProtocolStatus | null): Promise<Protocol[]> {
  const rows = await db.query<
    Omit<Protocol, 'printedAt' | 'settledAt'> & { printedAt: Date; settledAt: Date | null }
  >(
    `select p.sheet_number as "sheetNumber", p.exam_id as "examId", p.expert_id as "expertId",
       p.printed_by as "printedBy", p.printed_at as "printedAt", p.status, p.reason, p.settled_at as "settledAt",
       (select count(distinct l.check_id)::int from protocol_lines l where l.sheet_number = p.sheet_number) as checks
     from protocols p where $1::text is null or p.status = $1 order by p.printed_at desc limit 1000`,
    [status],
  );
  return rows.map((p) => ({
    ...p,
    printedAt: p.printedAt.toISOString(),
    settledAt: p.settledAt?.toISOString() ?? null,
  }));
}
