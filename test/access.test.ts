/**
 * Access is decided on the route the router matched. Every registered route (taken from the router, not a hand
 * list) is called over a real socket with no key, a wrong key and each role, under several spellings of its
 * path an attacker would try; a caller without one of the route's roles never reaches its handler.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../contract/admin.ts';
import { guardRoutes, type RegisteredRoute, RouteAccessError, registeredRoutes } from '../platform/access.ts';
import { configFromEnv } from '../platform/config.ts';
import { issueUser } from '../platform/store/users.ts';
import { type RunningService, startService } from '../service/run.ts';

let service: RunningService;
let dir: string;
let base: string;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rcoi-access-'));
  service = await startService(configFromEnv({ RCOI_DATA_DIR: dir }), { pollMs: 60_000 });
  for (const role of ROLES)
    tokens[role] = await issueUser(service.adapters.db, { id: `access-${role}`, name: role, role });
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await service?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: string;
}

/** One request with the path sent exactly as written (like `curl --path-as-is`). */
function send(method: string, path: string, token?: string, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const req = request(`${base}/`, { method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const pathOf = (route: RegisteredRoute) => route.url.replace(/:[A-Za-z]+/g, '7');
const encodeChar = (ch: string, upper: boolean) => {
  const hex = ch.charCodeAt(0).toString(16);
  return `%${upper ? hex.toUpperCase() : hex}`;
};

/** Spellings the router reads as the same path: they must be treated exactly as the plain one. */
const SAME_PATH: Record<string, (path: string) => string> = {
  plain: (p) => p,
  'first letter of each segment encoded': (p) =>
    p.replace(/\/([a-z])/g, (_m, ch: string) => `/${encodeChar(ch, false)}`),
  'every letter encoded, upper-case hex': (p) => p.replace(/[a-z]/g, (ch) => encodeChar(ch, true)),
  'with a query string': (p) => `${p}?role=admin&public=true`,
};

/** Spellings that may or may not reach a route: if they reach none, the answer is the router's 404. */
const OTHER_PATH: Record<string, (path: string) => string> = {
  'trailing slash': (p) => `${p}/`,
  'double slash': (p) => `/${p}`,
  'dot segment': (p) => p.replace(/^\/([^/]+)\//, '/$1/./'),
  'parent segment': (p) => `/x/..${p}`,
  'upper case': (p) => p.toUpperCase(),
  'encoded slash': (p) => p.replace(/^\/([^/]+)\//, '/$1%2F'),
  backslash: (p) => p.replace(/^\/([^/]+)\//, '/$1\\'),
  'encoded NUL': (p) => `${p}%00`,
  'semicolon parameter': (p) => `${p};public=true`,
};

// The router's own 404 (no route matched) is the only answer with the code not-found.
const notFoundByRouter = (a: Answer, method: string) =>
  a.status === 404 && (method === 'HEAD' || JSON.parse(a.body).code === 'not-found');

const guardRefused = (a: Answer, method: string, status: 401 | 403) =>
  a.status === status &&
  (method === 'HEAD' || (status === 401 ? /^sign in/ : /^role /).test(JSON.parse(a.body).error));

describe('access decided on the matched route', () => {
  it('every registered route declares public or its roles', () => {
    const routes = registeredRoutes(service.app);
    expect(routes.length).toBeGreaterThan(40);
    for (const r of routes) expect(r.public || r.roles.length > 0, `${r.method} ${r.url}`).toBe(true);
    const open = routes.filter((r) => r.public).map((r) => `${r.method} ${r.url}`);
    expect(open.sort()).toEqual(
      ['/', '/assets/app.css', '/assets/app.js', '/health'].flatMap((u) => [`GET ${u}`, `HEAD ${u}`]).sort(),
    );
  });

  it('refuses to start with a route that declares neither public nor roles, or both', async () => {
    const bare = Fastify();
    guardRoutes(bare, service.adapters.db);
    expect(() => bare.get('/api/forgotten', async () => 'open')).toThrow(RouteAccessError);
    expect(() =>
      bare.get('/api/both', { config: { public: true, roles: ['admin'] } }, async () => 'open'),
    ).toThrow(RouteAccessError);
    expect(() => bare.get('/api/empty', { config: { roles: [] } }, async () => 'open')).toThrow(
      RouteAccessError,
    );
    await bare.close();
  });

  it('refuses every protected route, however its path is spelt, to anyone without one of its roles', async () => {
    const protectedRoutes = registeredRoutes(service.app).filter((r) => !r.public);
    let refusals = 0;
    for (const route of protectedRoutes) {
      const body = ['GET', 'HEAD'].includes(route.method) ? undefined : '{}';
      const callers: [string, string | undefined, 401 | 403][] = [
        ['no key', undefined, 401],
        ['wrong key', 'not-a-key', 401],
        ['empty key', '', 401],
        ...ROLES.filter((role) => !route.roles.includes(role)).map(
          (role) => [role, tokens[role], 403] as [string, string, 403],
        ),
      ];
      for (const [who, token, status] of callers) {
        for (const [name, spell] of Object.entries(SAME_PATH)) {
          const a = await send(route.method, spell(pathOf(route)), token, body);
          expect(
            guardRefused(a, route.method, status),
            `${route.method} ${route.url} ${name} as ${who}`,
          ).toBe(true);
          refusals++;
        }
        for (const [name, spell] of Object.entries(OTHER_PATH)) {
          const a = await send(route.method, spell(pathOf(route)), token, body);
          const ok =
            guardRefused(a, route.method, status) || notFoundByRouter(a, route.method) || a.status === 400;
          expect(ok, `${route.method} ${route.url} ${name} as ${who}: ${a.status} ${a.body}`).toBe(true);
        }
      }
    }
    expect(refusals).toBeGreaterThan(1000);
  }, 300_000);

  it('lets each of a route’s roles through the guard', async () => {
    for (const route of registeredRoutes(service.app).filter((r) => !r.public && r.method === 'GET')) {
      for (const role of route.roles) {
        const a = await send(
          'GET',
          SAME_PATH['first letter of each segment encoded']!(pathOf(route)),
          tokens[role],
        );
        expect(a.status, `${route.url} as ${role}: ${a.body}`).not.toBe(401);
        expect(guardRefused(a, 'GET', 403), `${route.url} as ${role}`).toBe(false);
      }
    }
    const users = await send('GET', '/%61pi/users', tokens.admin);
    expect(users.status).toBe(200);
    expect(JSON.parse(users.body).map((u: { id: string }) => u.id)).toContain('access-admin');
  });

  it('takes no write without a key: the re-keying of an admin through an encoded path is refused', async () => {
    const attack = JSON.stringify({ id: 'access-admin', name: 'taken', role: 'operator' });
    expect((await send('POST', '/%61pi/users', undefined, attack)).status).toBe(401);
    expect((await send('POST', '/%61pi/%75sers', tokens.operator, attack)).status).toBe(403);
    const me = await send('GET', '/api/me', tokens.admin);
    expect(JSON.parse(me.body)).toEqual({ id: 'access-admin', name: 'admin', role: 'admin' });
    expect((await send('GET', '/%6detrics')).status).toBe(401);
  });

  it('answers an unknown /api route 404 with or without a key', async () => {
    for (const token of [undefined, 'not-a-key', tokens.admin, tokens.expert]) {
      const a = await send('GET', '/api/no-such-thing', token);
      expect(a.status).toBe(404);
      expect(notFoundByRouter(a, 'GET')).toBe(true);
    }
  });

  it('marks API answers not to be cached, sniffed or referred', async () => {
    const me = await new Promise<Record<string, unknown>>((resolve, reject) => {
      request(`${base}/api/me`, { headers: { authorization: `Bearer ${tokens.verifier}` } }, (res) => {
        res.resume();
        resolve(res.headers);
      })
        .on('error', reject)
        .end();
    });
    expect(me).toMatchObject({
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
  });
});
