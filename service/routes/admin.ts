/**
 * Administration: users and their roles (an access key is shown once, when issued), and what the service
 * runs on: the form definitions and the checking rule sets in use.
 */

import type { FastifyInstance } from 'fastify';
import { loadSubjectRules } from '../../domain/checking.ts';
import { ADMINS, CHAIRS, STAFF } from '../../platform/access.ts';
import type { ServiceContext } from '../../platform/adapters.ts';
import { audit } from '../../platform/store/audit.ts';
import {
  disableUser,
  issueUser,
  listUsers,
  ROLES,
  USER_ID_PATTERN,
  type User,
} from '../../platform/store/users.ts';

export function adminRoutes(app: FastifyInstance, deps: ServiceContext): void {
  app.get('/api/users', { config: { roles: ADMINS } }, async () => listUsers(deps.db));

  app.post<{ Body: User }>(
    '/api/users',
    {
      config: { roles: ADMINS },
      schema: {
        body: {
          type: 'object',
          required: ['id', 'name', 'role'],
          additionalProperties: false,
          properties: {
            id: { type: 'string', pattern: USER_ID_PATTERN },
            name: { type: 'string', minLength: 1, maxLength: 200 },
            role: { enum: [...ROLES] },
          },
        },
      },
    },
    async (req, reply) => {
      const token = await issueUser(deps.db, req.body);
      // The key itself is never logged or audited: it is the user's to keep.
      await audit(deps.db, req.user!.id, 'user.issue', `user:${req.body.id}`, { role: req.body.role });
      return reply.code(201).send({ ...req.body, token });
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/users/:id/disable',
    { config: { roles: ADMINS } },
    async (req, reply) => {
      if (req.params.id === req.user!.id)
        return reply.code(409).send({ error: 'you cannot disable yourself' });
      if (!(await disableUser(deps.db, req.params.id)))
        return reply.code(404).send({ error: `no active user ${req.params.id}` });
      await audit(deps.db, req.user!.id, 'user.disable', `user:${req.params.id}`, {});
      return { id: req.params.id, disabled: true };
    },
  );

  app.get('/api/forms', { config: { roles: STAFF } }, async () =>
    deps.forms.map((f) => ({ id: f.id, kind: f.kind, title: f.title, edition: f.edition })),
  );

  app.get<{ Querystring: { year?: string } }>(
    '/api/checking/rules',
    { config: { roles: CHAIRS } },
    async (req, reply) => {
      const year = Number(req.query.year ?? new Date().getFullYear());
      if (!Number.isInteger(year)) return reply.code(400).send({ error: 'year=YYYY' });
      try {
        return loadSubjectRules(year).map((r) => ({
          exam: r.exam,
          subjectCode: r.subjectCode,
          subject: r.subject,
          example: r.example,
          tasks: r.tasks.map((t) => t.task),
          criteria: r.tasks.reduce((n, t) => n + t.criteria.length, 0),
          maxTotal: r.tasks.reduce((n, t) => n + t.criteria.reduce((m, c) => m + c.max, 0), 0),
          thirdCheck: r.thirdCheck,
          combine: r.combine,
        }));
      } catch (err) {
        return reply.code(404).send({ error: (err as Error).message });
      }
    },
  );
}
