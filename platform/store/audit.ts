/**
 * The audit trail: who did what to which subject, when. Rows are only ever added (the database refuses
 * changes: migration 0011); every correction, view of an image, export and deletion writes one.
 */
import type { Queryable } from '../db.ts';

export async function audit(tx: Queryable, actor: string, action: string, subject: string, detail: object) {
  await tx.query('insert into audit_events (actor, action, subject, detail) values ($1, $2, $3, $4)', [
    actor,
    action,
    subject,
    JSON.stringify(detail),
  ]);
}

/** Many events of one actor and action at once (a recomputation's changes): one statement, not one a row. */
export async function auditMany(
  tx: Queryable,
  actor: string,
  action: string,
  events: { subject: string; detail: object }[],
) {
  if (events.length === 0) return;
  await tx.query(
    `insert into audit_events (actor, action, subject, detail)
     select $1, $2, s, d::jsonb from unnest($3::text[], $4::text[]) as u (s, d)`,
    [actor, action, events.map((e) => e.subject), events.map((e) => JSON.stringify(e.detail))],
  );
}
