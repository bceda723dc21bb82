/**
 * Score appeals: registered on a work with a result, re-checked by a leading or senior expert who has checked
 * this year and never checked this work (the appeal round of `mayTake`), decided by the re-check's scores
 * (scores.ts). The appeal kit's content is gathered here for print/ to lay out.
 */
import type { Appeal } from '../../contract/checking.ts';
import type { RulesOf } from '../../domain/checking.ts';
import type { Database, Queryable } from '../../platform/db.ts';
import { audit } from '../../platform/store/audit.ts';
import type { AppealKitContent } from '../../print/kits.ts';
import { CheckingError } from '../errors.ts';
import { examOfWork, submittedScores } from './checks.ts';

/**
 * Registers a score appeal on a work with a result, and opens its re-check (all tasks) for a leading or
 * senior expert who has checked this year and never checked this work. Audited.
 */
export async function registerAppeal(
  db: Database,
  rulesOf: RulesOf,
  workId: string,
  by: string,
  reason: string,
): Promise<{ appealId: number; checkId: number }> {
  if (reason.trim() === '') throw new CheckingError('not-allowed', 'an appeal needs its reason');
  return db.transaction(async (tx) => {
    const [result] = await tx.query<{ total: number }>(
      'select total from work_results where work_id = $1 for update',
      [workId],
    );
    if (!result) throw new CheckingError('not-allowed', `work ${workId} has no result to appeal yet`);
    const [open] = await tx.query(`select 1 from appeals where work_id = $1 and status = 'rechecking'`, [
      workId,
    ]);
    if (open) throw new CheckingError('not-allowed', `work ${workId} already has an appeal being re-checked`);
    const exam = await examOfWork(tx, workId);
    const tasks = rulesOf(exam.key).tasks.map((t) => t.task);
    const [check] = await tx.query<{ id: number }>(
      `insert into checks (work_id, exam_id, round, tasks, reasons) values ($1, $2, 'appeal', $3, $4) returning id`,
      [workId, exam.id, tasks, [reason]],
    );
    const [appeal] = await tx.query<{ id: number }>(
      `insert into appeals (work_id, registered_by, reason, check_id, total_before) values ($1, $2, $3, $4, $5)
       returning id`,
      [workId, by, reason, check!.id, result.total],
    );
    await audit(tx, by, 'appeal.register', `appeal:${appeal!.id}`, { work: workId });
    return { appealId: appeal!.id, checkId: check!.id };
  });
}

type AppealRow = Omit<Appeal, 'registeredAt' | 'decidedAt'> & { registeredAt: Date; decidedAt: Date | null };

const APPEALS = `select id, work_id as "workCode", registered_by as "registeredBy", registered_at as "registeredAt",
    reason, status, outcome, total_before as "totalBefore", total_after as "totalAfter", decided_at as "decidedAt"
  from appeals`;

const asAppeal = (a: AppealRow): Appeal => ({
  ...a,
  registeredAt: a.registeredAt.toISOString(),
  decidedAt: a.decidedAt?.toISOString() ?? null,
});

/** The latest appeals first (a thousand at most). */
export async function listAppeals(db: Queryable): Promise<Appeal[]> {
  return (await db.query<AppealRow>(`${APPEALS} order by id desc limit 1000`)).map(asAppeal);
}

/** Everything an appeal kit shows: the appeal, the work's forms and their readings, its checks, its result. */
export async function appealKitContent(db: Queryable, appealId: number): Promise<AppealKitContent> {
  const [row] = await db.query<AppealRow>(`${APPEALS} where id = $1`, [appealId]);
  if (!row) throw new CheckingError('no-such-appeal', `no appeal ${appealId}`);
  const sheets = await db.query<{ role: string; sheetNumber: string; pageId: string }>(
    `select w.role, w.sheet_number as "sheetNumber", s.page_id as "pageId"
     from work_sheets w join sheets s on s.sheet_number = w.sheet_number
     where w.work_id = $1
     order by case w.role when 'registration' then 0 when 'as1' then 1 when 'as2-1' then 2 when 'as2-2' then 3
       else 4 end, w.chain_position`,
    [row.workCode],
  );
  const forms: AppealKitContent['sheets'] = [];
  for (const sheet of sheets) {
    const fields = await db.query<AppealKitContent['sheets'][number]['fields'][number]>(
      `select name, value, final_value as "finalValue", status from fields where page_id = $1 order by name`,
      [sheet.pageId],
    );
    forms.push({ ...sheet, fields });
  }
  const [result] = await db.query<NonNullable<AppealKitContent['result']>>(
    'select total, basis, scores from work_results where work_id = $1',
    [row.workCode],
  );
  return {
    appeal: asAppeal(row),
    sheets: forms,
    checks: (await submittedScores(db, row.workCode)).map(({ round, scores }) => ({ round, scores })),
    result: result ?? null,
  };
}
