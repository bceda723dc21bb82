/**
 * Who may call what, decided on the route the router matched, never on the URL as written: a percent-encoded
 * or otherwise odd spelling of a path either reaches a route, and then that route's rule, or reaches none and
 * is a 404. Every route declares that it is public or which roles may call it; a route with neither (or both)
 * stops the service from starting.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { ROLES, type Role, type User } from '../contract/admin.ts';
import type { Queryable } from './db.ts';
import type { ErrorCode } from './errors.ts';
import { userByToken } from './store/users.ts';

declare module 'fastify' {
  interface FastifyRequest {
    user: User | null;
  }
  interface FastifyContextConfig {
    /** Anyone may call it, with or without a key. */
    public?: true;
    /** Only a signed-in user holding one of these roles may call it. */
    roles?: readonly Role[];
  }
}

/** Who may call what, by the work they do: the role lists routes name, written once. */
export const ANYONE = ROLES;
/** Who works the intake: scanner operators, and administrators standing in. */
export const OPERATORS = ['operator', 'admin'] as const;
export const VERIFIERS = ['verifier', 'senior-verifier'] as const;
/** Chairs check works too, as leading experts of their commission. */
export const EXPERTS = ['expert', 'chair'] as const;
/** Subject-commission chairs, and administrators standing in. */
export const CHAIRS = ['chair', 'admin'] as const;
export const ADMINS = ['admin'] as const;
/** Who reads the forms and exams in use: intake, the commissions, administration. */
export const STAFF = ['operator', 'chair', 'admin'] as const;

export interface RegisteredRoute {
  method: string;
  url: string;
  public: boolean;
  roles: readonly Role[];
}

export class RouteAccessError extends Error {}

const routesOf = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Every route registered on `app` with its rule, as the router took it (HEAD twins included). */
export function registeredRoutes(app: FastifyInstance): readonly RegisteredRoute[] {
  return routesOf.get(app) ?? [];
}

function declaredAccess(route: RouteOptions): RegisteredRoute[] {
  const isPublic = route.config?.public === true;
  const roles = route.config?.roles ?? [];
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (isPublic === roles.length > 0)
    throw new RouteAccessError(
      `route ${methods.join(',')} ${route.url} must declare either public: true or a non-empty roles list`,
    );
  return methods.map((method) => ({ method, url: route.url, public: isPublic, roles }));
}

/**
 * Installs the access rule on `app`. Call it before any route is added: routes added earlier would not be
 * checked at registration.
 */
export function guardRoutes(app: FastifyInstance, db: Queryable): void {
  const routes: RegisteredRoute[] = [];
  routesOf.set(app, routes);
  app.decorateRequest('user', null);
  app.addHook('onRoute', (route) => {
    routes.push(...declaredAccess(route));
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    if (req.is404) return; // no route matched: the not-found handler answers, with nothing behind it
    const config = req.routeOptions.config;
    if (config.public) return;
    // Images and participant data must not stay in a browser's or a proxy's cache.
    reply.header('cache-control', 'no-store');
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    req.user = token ? await userByToken(db, token) : null;
    if (!req.user)
      return reply.code(401).send({
        code: 'not-signed-in' satisfies ErrorCode,
        error: 'sign in: a valid bearer token is required',
      });
    if (!config.roles?.includes(req.user.role))
      return reply.code(403).send({
        code: 'role-not-allowed' satisfies ErrorCode,
        params: { role: req.user.role },
        error: `role ${req.user.role} may not use this`,
      });
  });
}
