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
