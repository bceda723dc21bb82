/**
 * Retention for administrators: what falls due, what is held past its date, the holds themselves and the
 * destruction acts. Placing and releasing a hold is audited by the stage functions.
 */

import type { FastifyInstance } from 'fastify';
import { ADMINS } from '../platform/access.ts';
import type { ServiceContext } from '../platform/adapters.ts';
import { placeHold, releaseHold, retentionOutlook } from './stage.ts';

export function retentionRoutes(app: FastifyInstance, deps: ServiceContext): void {
  app.get('/api/retention', { config: { roles: ADMINS } }, async () => {
    const outlook = await retentionOutlook(deps, new Date());
    const holds = await deps.db.query(
      `select id, object_key as "objectKey", exam_id as "examId", placed_by as "placedBy", reason,
         placed_at as "placedAt"
       from legal_holds where released_at is null order by id`,
    );
    const acts = await deps.db.query(
      `select a.id, a.at, a.run_by as "runBy", a.policy_year as "policyYear", count(i.*)::int as objects
       from destruction_acts a left join destruction_act_items i on i.act_id = a.id
       group by a.id order by a.id desc limit 100`,
    );
    return { ...outlook, holds, acts };
  });

  app.get<{ Params: { id: string } }>(
    '/api/retention/acts/:id',
    { config: { roles: ADMINS } },
    async (req, reply) => {
      const id = Number(req.params.id) || 0;
      const [act] = await deps.db.query(
        `select id, at, run_by as "runBy", policy_year as "policyYear", policy_sha256 as "policySha256"
         from destruction_acts where id = $1`,
        [id],
      );
      if (!act) return reply.code(404).send({ error: `no destruction act ${req.params.id}` });
      const items = await deps.db.query(
        `select object_key as "objectKey", sha256, material, to_char(due_day, 'YYYY-MM-DD') as "dueDay", late
         from destruction_act_items where act_id = $1 order by object_key`,
        [id],
      );
      return { ...act, items };
    },
  );

  app.post<{ Body: { objectKey?: string; examId?: string; reason: string } }>(
    '/api/retention/holds',
    {
      config: { roles: ADMINS },
      schema: {
        body: {
          type: 'object',
          required: ['reason'],
          additionalProperties: false,
          properties: {
            objectKey: { type: 'string', minLength: 1, maxLength: 300 },
            examId: { type: 'string', minLength: 1, maxLength: 100 },
            reason: { type: 'string', minLength: 1, maxLength: 2000 },
          },
        },
      },
    },
    async (req, reply) => {
      const { objectKey, examId, reason } = req.body;
      if (!objectKey === !examId)
        return reply.code(400).send({ error: 'hold either an objectKey or an examId' });
      const [known] = objectKey
        ? await deps.db.query('select 1 from stored_objects where object_key = $1 and destroyed_at is null', [
            objectKey,
          ])
        : await deps.db.query('select 1 from exams where id = $1', [examId]);
      if (!known) return reply.code(404).send({ error: `no such ${objectKey ? 'live object' : 'exam'}` });
      if (reason.trim() === '') return reply.code(400).send({ error: 'a legal hold needs a reason' });
      const target = objectKey ? { objectKey } : { examId: examId! };
      return reply.code(201).send({ id: await placeHold(deps, target, req.user!.id, reason) });
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/retention/holds/:id/release',
    { config: { roles: ADMINS } },
    async (req, reply) => {
      const id = Number(req.params.id) || 0;
      const [hold] = await deps.db.query('select 1 from legal_holds where id = $1 and released_at is null', [
        id,
      ]);
      if (!hold) return reply.code(404).send({ error: `no active legal hold ${req.params.id}` });
      await releaseHold(deps, id, req.user!.id);
      return { id, released: true };
    },
  );
}
