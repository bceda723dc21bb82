/**
 * Routes from the contract: `route(app, endpoint, access, handler)` registers an endpoint of contract/ with
 * its access rule, validates params, query and body by the endpoint's zod schemas (a misfit is a 400 naming
 * the field, before the handler runs) and types the handler by them. Handlers stay thin: parse, call, answer.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type * as z from 'zod';
import type { Answer, Body, Endpoint, Params, Query } from '../contract/endpoint.ts';
import { ServiceError } from './errors.ts';
import type { Role, User } from './store/users.ts';

export type Access = { roles: readonly Role[] } | { public: true };

export interface Request<E extends Endpoint> {
  params: Params<E>;
  query: Query<E>;
  body: Body<E>;
  /** The signed-in caller (null only on a public route). */
  user: User;
  raw: FastifyRequest;
}

function zodValidator({ schema, httpPart }: { schema: unknown; httpPart?: string }) {
  return (data: unknown) => {
    const result = (schema as z.ZodType).safeParse(data);
    if (result.success) return { value: result.data };
    const issue = result.error.issues[0]!;
    const where = [httpPart === 'querystring' ? 'query' : (httpPart ?? 'request'), ...issue.path].join('.');
    // A request that does not fit its schema: where and why, in the schema's words, answered like any refusal.
    return { error: new ServiceError('bad-request', `${where}: ${issue.message}`) };
  };
}

export function route<E extends Endpoint>(
  app: FastifyInstance,
  endpoint: E,
  access: Access,
  handler: (req: Request<E>, reply: FastifyReply) => Promise<Answer<E> | FastifyReply | undefined>,
): void {
  app.route({
    method: endpoint.method,
    url: endpoint.url,
    // Fastify types a route's config by its first use; the guard (access.ts) reads either shape.
    config: access as { roles: readonly Role[] },
    ...(endpoint.bodyLimit && { bodyLimit: endpoint.bodyLimit }),
    schema: {
      ...(endpoint.params && { params: endpoint.params }),
      ...(endpoint.query && { querystring: endpoint.query }),
      ...(endpoint.body && { body: endpoint.body }),
    },
    validatorCompiler: zodValidator,
    handler: (req, reply) =>
      handler(
        {
          params: req.params as Params<E>,
          query: req.query as Query<E>,
          body: req.body as Body<E>,
          user: req.user!,
          raw: req,
        },
        reply,
      ),
  });
}
