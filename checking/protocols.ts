/**
 * Paper checking. A chair prints the checks an expert holds as checking protocols; each protocol is recorded
 * line by line under its sheet number (store/protocols.ts), so its scan can be read back. Once the scanned
 * protocol is final (its doubtful cells verified like any sheet's), its lines become the scores of its checks,
 * all in one transaction or none: a protocol that cannot be taken whole is rejected with the reason, for the
 * chair to void and print again.
 */

import type { RulesOf } from '../domain/checking.ts';
import { type PrintedProtocol, ProtocolError, protocolPages, readProtocol } from '../domain/protocols.ts';
import { ean13WithCheckDigit } from '../pipeline/barcodes.ts';
import type { Database } from '../platform/db.ts';
import { audit } from '../platform/store/audit.ts';
import { CheckingError } from './errors.ts';
import { expertCode } from './store/experts.ts';
import {
  checksToPrint,
  lockedProtocol,
  markScored,
  nextProtocolNumber,
  protocolLines,
  protocolScan,
  recordProtocol,
  rejectProtocol,
} from './store/protocols.ts';
import { scoreCheck } from './store/scores.ts';

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
    const byId = await checksToPrint(tx, checkIds);
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
    const code = await expertCode(tx, expertId, first.year, first.subject_code);
    if (code === null)
      throw new CheckingError('conflict', `${expertId} is not an expert of this subject and year`);
    const rules = rulesOf({
      year: first.year,
      kind: first.kind,
      grade: first.grade,
      subjectCode: first.subject_code,
    });
    let pages: PrintedProtocol['lines'][];
    try {
      pages = protocolPages(
        checks.map((c) => ({
          checkId: c.id,
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
      const sheetNumber = protocolNumber(await nextProtocolNumber(tx));
      const protocol = { sheetNumber, examId: first.exam_id, expertCode: code, lines };
      await recordProtocol(tx, protocol, expertId, chairId);
      printed.push(protocol);
    }
    await audit(tx, chairId, 'print.protocols', `expert:${expertId}`, {
      protocols: printed.map((p) => p.sheetNumber),
      checks: checkIds,
    });
    return printed;
  });
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
      const p = await lockedProtocol(tx, sheetNumber);
      if (!p) return { status: 'unknown' } as const;
      if (p.status !== 'printed') return { status: 'already', was: p.status } as const;
      const reading = readProtocol(
        await protocolLines(tx, sheetNumber),
        p.code ?? '',
        await protocolScan(tx, sheetNumber),
      );
      if (!reading.ok) throw new CheckingError('bad-scores', reading.reason);
      for (const [checkId, scores] of reading.scores)
        await scoreCheck(tx, rulesOf, p.expert_id, checkId, scores, now);
      await markScored(tx, sheetNumber, now);
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
  await rejectProtocol(db, sheetNumber, reason, now);
  return { status: 'rejected', reason };
}
