/**
 * The HTTP API. Every route names the roles that may call it or says it is public (platform/access.ts); a
 * caller is known by a bearer token. Verifiers see only the task leased to them, and every image they are
 * shown is an audit event.
 */

import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import { checkingRoutes } from '../checking/routes.ts';
import { me } from '../contract/admin.ts';
import { intakeRoutes, UPLOAD_LIMITS } from '../intake/routes.ts';
import { participantsRoutes } from '../participants/routes.ts';
import { ADMINS, ANYONE, guardRoutes } from '../platform/access.ts';
import type { ServiceContext } from '../platform/adapters.ts';
import { ping } from '../platform/db.ts';
import { type ErrorCode, ServiceError } from '../platform/errors.ts';
import { InfrastructureError, isInfrastructureFailure } from '../platform/failures.ts';
import { route } from '../platform/http.ts';
import { log } from '../platform/log.ts';
import { resultsRoutes } from '../results/routes.ts';
import { retentionRoutes } from '../retention/routes.ts';
import { verificationRoutes } from '../verification/routes.ts';
import { webRoutes } from '../web/routes.ts';
import { worksRoutes } from '../works/routes.ts';
import { metricsText } from './metrics.ts';
import { adminRoutes } from './routes/admin.ts';
import { examRoutes } from './routes/exams.ts';

/** The code for an error Fastify itself raised (a body too large, a media type it cannot parse). */
function codeOfStatus(status: number): ErrorCode {
  const byStatus: Record<number, ErrorCode> = { 404: 'not-found', 413: 'too-large', 415: 'wrong-media-type' };
  return byStatus[status] ?? (status < 500 ? 'bad-request' : 'internal');
}

export function buildApi(deps: ServiceContext, opts: { logger?: boolean } = {}): FastifyInstance {
  // The shared pino logger's type is narrower than Fastify's default instance type; the instance is the same.
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: log } : { logger: false }),
    bodyLimit: 1024 * 1024,
  }) as unknown as FastifyInstance;
  guardRoutes(app, deps.db);
  app.register(multipart, { limits: UPLOAD_LIMITS });

  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    if (err instanceof ServiceError)
      return reply.code(err.status).send({ code: err.code, params: err.params, error: err.message });
    // The store, the database or the queue is away: nothing is wrong with the request, it can come again.
    if (isInfrastructureFailure(err)) {
      req.log.warn({ err: err.message }, 'infrastructure unavailable');
      const what = err instanceof InfrastructureError ? err.service : 'a service';
      return reply
        .code(503)
        .header('retry-after', '30')
        .send({
          code: 'unavailable' satisfies ErrorCode,
          error: `${what} unavailable for the moment: try again shortly`,
        });
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    return reply
      .code(status)
      .send({ code: codeOfStatus(status), error: status < 500 ? err.message : 'internal error' });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      code: 'not-found' satisfies ErrorCode,
      error: `no route ${req.method} ${req.url.split('?')[0]}`,
    }),
  );

  app.get('/health', { config: { public: true } }, async () => {
    await ping(deps.db);
    return { status: 'ok', database: deps.db.kind, objects: deps.objects.kind };
  });

  // Prometheus scrapes with an admin's bearer token: the counts say nothing personal, but they are not public.
  app.get('/metrics', { config: { roles: ADMINS } }, async (_req, reply) =>
    reply.type('text/plain; version=0.0.4').send(await metricsText(deps)),
  );

  route(app, me, { roles: ANYONE }, async ({ user }) => user);

  webRoutes(app);
  adminRoutes(app, deps);
  examRoutes(app, deps);
  intakeRoutes(app, deps);
  worksRoutes(app, deps);
  participantsRoutes(app, deps);
  verificationRoutes(app, deps);
  retentionRoutes(app, deps);
  checkingRoutes(app, deps);
  resultsRoutes(app, deps);

  return app;
}
