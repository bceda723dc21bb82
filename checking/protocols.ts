/**
 * Paper checking in the database. A chair prints the checks an expert holds as checking protocols; each
 * protocol is recorded line by line under its sheet number, so its scan can be read back. Once the scanned
 * protocol is final (its doubtful cells verified like any sheet's), its lines become the scores of its checks,
 * all in one transaction or none: a protocol that cannot be taken whole is rejected with the reason, for the
 * chair to void and print again.
 */

import type { RulesOf } from '../domain/checking.ts';
import {
  type PrintedProtocol,
  ProtocolError,
  type ProtocolLine,
  protocolPages,
  readProtocol,
} from '../domain/protocols.ts';
import { ean13WithCheckDigit } from '../pipeline/barcodes.ts';
import type { Database, Queryable } from '../platform/db.ts';
import { audit } from '../platform/store/audit.ts';
import { CheckingError, scoreCheck } from './store.ts';

/** Sheet numbers of protocols begin with 6 (forms/definitions/README.md); 11 digits of sequence; EAN check. */
const protocolNumber = (n: string) => ean13WithCheckDigit(`6${n.padStart(11, '0')}`);

/** Records protocols for checks in an expert's hand, in the order given; the caller renders them. */
export async function printProtocols(
  db: Database,
  rulesOf: RulesOf,
  chairId: string,
  expertId: string,
  checkIds: number[],
): Promise<PrintedProtocol[]> {
  return db.transaction(async (tx) => {
    const rows = await tx.query<{
      id: number;
      work_id: string;
      exam_id: string;
      round: string;
      tasks: string[];
      status: string;
      expert_id: string | null;
      year: number;
      kind: string;
      subject_code: string;
      on_paper: string | null;
    }>(
      `select c.id, c.work_id, c.exam_id, c.round, c.tasks, c.status, c.expert_id, e.year, e.kind, e.subject_code,
         (select p.sheet_number from protocol_lines l join protocols p on p.sheet_number = l.sheet_number
          where l.check_id = c.id and p.status = 'printed' limit 1) as on_paper
       from checks c join exams e on e.id = c.exam_id where c.id = any($1::bigint[])
       for update of c`,
      [checkIds],
    );
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    const checks = checkIds.map((id) => {
      const c = byId.get(id);
      if (!c) throw new CheckingError('no-such-check', `no check ${id}`);
      if (c.status !== 'assigned' || c.expert_id !== expertId)
        throw new CheckingError('conflict', `check ${id} is not in ${expertId}'s hand`);
      if (c.round === 'screening')
        throw new CheckingError(
          'not-printable',
          `check ${id} is a screening: answered on screen, not scored`,
        );
      if (c.on_paper) throw new CheckingError('conflict', `check ${id} is on protocol ${c.on_paper} already`);
      return c;
    });
    const first = checks[0];
    if (!first) return [];
    if (checks.some((c) => c.exam_id !== first.exam_id))
      throw new CheckingError('not-printable', 'a protocol is for one exam: print each exam’s checks apart');
    const [expert] = await tx.query<{ code: string }>(
      'select code from experts where user_id = $1 and year = $2 and subject_code = $3',
      [expertId, first.year, first.subject_code],
    );
    if (!expert) throw new CheckingError('conflict', `${expertId} is not an expert of this subject and year`);
    const rules = rulesOf({ year: first.year, kind: first.kind, subjectCode: first.subject_code });
    let pages: ProtocolLine[][];
    try {
      pages = protocolPages(
        checks.map((c) => ({
          checkId: Number(c.id),
          workCode: c.work_id,
          criteria: rules.tasks.filter((t) => c.tasks.includes(t.task)).flatMap((t) => t.criteria),
        })),
      );
    } catch (err) {
      if (err instanceof ProtocolError) throw new CheckingError('not-printable', err.message);
      throw err;
    }
    const printed: PrintedProtocol[] = [];
    for (const lines of pages) {
      const [n] = await tx.query<{ n: string }>(`select nextval('protocol_numbers')::text as n`);
      const sheetNumber = protocolNumber(n!.n);
      await tx.query(
        'insert into protocols (sheet_number, exam_id, expert_id, printed_by) values ($1, $2, $3, $4)',
        [sheetNumber, first.exam_id, expertId, chairId],
      );
      await tx.query(
        `insert into protocol_lines (sheet_number, line, check_id, criteria)
         select $1, t.line, t.check_id, string_to_array(t.criteria, ',')
         from unnest($2::int[], $3::bigint[], $4::text[]) as t(line, check_id, criteria)`,
        [
          sheetNumber,
          lines.map((l) => l.line),
          lines.map((l) => l.checkId),
          lines.map((l) => l.criteria.join(',')),
        ],
      );
      printed.push({ sheetNumber, examId: first.exam_id, expertCode: expert.code, lines });
    }
    await audit(tx, chairId, 'print.protocols', `expert:${expertId}`, {
      protocols: printed.map((p) => p.sheetNumber),
      checks: checkIds,
    });
    return printed;
  });
}

async function protocolLines(tx: Queryable, sheetNumber: string): Promise<ProtocolLine[]> {
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

export type ProtocolOutcome =
  | { status: 'scored'; checks: number }
  | { status: 'rejected'; reason: string }
  | { status: 'unknown' }
  | { status: 'already'; was: string };

/**
 * Takes a final scanned protocol as the scores of its checks (each scored as its expert would on screen, so a
 * third check or a result follows in the same transaction), or rejects it whole with the reason.
 */
export async function takeProtocol(
  db: Database,
  rulesOf: RulesOf,
  sheetNumber: string,
  now = new Date(),
): Promise<ProtocolOutcome> {
  let reason: string;
  try {
    return await db.transaction(async (tx) => {
      const [p] = await tx.query<{ status: string; expert_id: string; code: string | null }>(
        `select p.status, p.expert_id, x.code ${WITH_EXPERT_CODE} where p.sheet_number = $1 for update of p`,
        [sheetNumber],
      );
      if (!p) return { status: 'unknown' } as const;
      if (p.status !== 'printed') return { status: 'already', was: p.status } as const;
      const fields = await tx.query<{ name: string; value: string | null }>(
        `select f.name, f.final_value as value from sheets s join fields f on f.page_id = s.page_id
         where s.sheet_number = $1 and s.status = 'final'`,
        [sheetNumber],
      );
      const reading = readProtocol(
        await protocolLines(tx, sheetNumber),
        p.code ?? '',
        Object.fromEntries(fields.map((f) => [f.name, f.value ?? ''])),
      );
      if (!reading.ok) throw new CheckingError('bad-scores', reading.reason);
      for (const [checkId, scores] of reading.scores)
        await scoreCheck(tx, rulesOf, p.expert_id, checkId, scores, now);
      await tx.query(`update protocols set status = 'scored', settled_at = $2 where sheet_number = $1`, [
        sheetNumber,
        now,
      ]);
      await audit(tx, p.expert_id, 'checking.protocol', `protocol:${sheetNumber}`, {
        checks: [...reading.scores.keys()],
      });
      return { status: 'scored', checks: reading.scores.size } as const;
    });
  } catch (err) {
    // Any check of it refused (not in the expert's hand any more, a score out of range): nothing is taken.
    if (!(err instanceof CheckingError)) throw err;
    reason = err.message;
  }
  await db.transaction(async (tx) => {
    await tx.query(
      `update protocols set status = 'rejected', reason = $2, settled_at = $3
       where sheet_number = $1 and status = 'printed'`,
      [sheetNumber, reason, now],
    );
    await audit(tx, 'protocol-stage', 'checking.protocol-rejected', `protocol:${sheetNumber}`, { reason });
  });
  return { status: 'rejected', reason };
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
