/**
 * Administration: users and their roles (an access key is shown once, when issued), and what the service
 * runs on: the form definitions and the checking rule sets in use.
 */

import type { FastifyInstance } from 'fastify';
import { disableUser, issueUser, listForms, listRules, listUsers } from '../../contract/admin.ts';
import { loadSubjectRules, type SubjectRules } from '../../domain/checking.ts';
import { ADMINS, CHAIRS, STAFF } from '../../platform/access.ts';
import type { ServiceContext } from '../../platform/adapters.ts';
import { ServiceError } from '../../platform/errors.ts';
import { route } from '../../platform/http.ts';
import { audit } from '../../platform/store/audit.ts';
import * as users from '../../platform/store/users.ts';

/** A rule set as the administrator's station lists it: its size, not every criterion. */
const summary = (r: SubjectRules) => ({
  exam: r.exam,
  subjectCode: r.subjectCode,
  subject: r.subject,
  subjectName: r.subjectName ?? null,
  example: r.example,
  tasks: r.tasks.map((t) => t.task),
  criteria: r.tasks.reduce((n, t) => n + t.criteria.length, 0),
  maxTotal: r.tasks.reduce((n, t) => n + t.criteria.reduce((m, c) => m + c.max, 0), 0),
  thirdCheck: r.thirdCheck,
  combine: r.combine,
});

function rulesOfYear(year: number): SubjectRules[] {
  try {
    return loadSubjectRules(year);
  } catch (err) {
    throw new ServiceError('no-such-rules', (err as Error).message);
  }
}

export function adminRoutes(app: FastifyInstance, deps: ServiceContext): void {
  route(app, listUsers, { roles: ADMINS }, async () => users.listUsers(deps.db));

  route(app, issueUser, { roles: ADMINS }, async ({ body, user }, reply) => {
    const token = await users.issueUser(deps.db, body);
    // The key itself is never logged or audited: it is the user's to keep.
    await audit(deps.db, user.id, 'user.issue', `user:${body.id}`, { role: body.role });
    return reply.code(201).send({ ...body, token });
  });

  route(app, disableUser, { roles: ADMINS }, async ({ params, user }) => {
    if (params.id === user.id) throw new ServiceError('conflict', 'you cannot disable yourself');
    if (!(await users.disableUser(deps.db, params.id)))
      throw new ServiceError('no-such-user', `no active user ${params.id}`);
    await audit(deps.db, user.id, 'user.disable', `user:${params.id}`, {});
    return { id: params.id, disabled: true as const };
  });

  route(app, listForms, { roles: STAFF }, async () =>
    deps.forms.map((f) => ({ id: f.id, kind: f.kind, title: f.title, edition: f.edition })),
  );

  route(app, listRules, { roles: CHAIRS }, async ({ query }) =>
    rulesOfYear(query.year ?? new Date().getFullYear()).map(summary),
  );
}
