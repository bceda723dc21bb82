/**
 * Whose fault a failure is. The infrastructure's (the object store, the database or the queue away, slow or
 * overloaded) is waited out: the job is retried with backoff, the page stays pending, the inbox folder stays
 * for the next scan, an upload is told to come back. Only the content of a file or a manifest rejects a page
 * or quarantines a batch. The adapters throw `InfrastructureError` for the first kind, so callers decide by
 * `instanceof`, never by reading messages; `isInfrastructureFailure` is the one place that reads the
 * drivers' errors.
 */

export type Infrastructure = 'object store' | 'database' | 'queue';

export class InfrastructureError extends Error {
  constructor(
    readonly service: Infrastructure,
    cause: unknown,
  ) {
    super(`${service} unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** A connection that could not be made or was lost, by Node's system error code. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  // A name that does not resolve now: a container being replaced drops out of the network's DNS.
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** S3 error codes that say "not now" (a 503 without a body reaches us as SlowDown). */
const S3_CODES = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'OperationAborted',
  'XMinioServerNotInitialized',
]);

/**
 * PostgreSQL SQLSTATEs: connection exceptions (08), insufficient resources (53), the server shutting down
 * or starting (57P01-57P03), system errors (58), and a transaction the server gave up on (serialization,
 * deadlock): the same work succeeds when run again.
 */
const SQLSTATE = /^(08|53|58|57P0[123]$|40001$|40P01$)/;

/** pg's own errors carry no code: a connection that ended or never came. */
const PG_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error/,
];

/** Redis replies while it loads, fails over or is not reachable (ioredis gives messages, not codes). */
const REDIS_MESSAGES = [/^Connection is closed/, /^(LOADING|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN) /];

function isOwnInfrastructureFailure(err: Error & { code?: unknown; name: string }): boolean {
  const code = typeof err.code === 'string' ? err.code : '';
  if (NETWORK_CODES.has(code) || S3_CODES.has(code)) return true;
  // An S3 error without a code came from no S3 server: a proxy in front of it (502, 504) answered.
  if (err.name === 'S3Error' && code === '') return true;
  if (/^[0-9A-Z]{5}$/.test(code) && SQLSTATE.test(code)) return true;
  return [...PG_MESSAGES, ...REDIS_MESSAGES].some((m) => m.test(err.message));
}

/** Whether `err`, or an error it was caused by, is the infrastructure's rather than the content's. */
export function isInfrastructureFailure(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof InfrastructureError || isOwnInfrastructureFailure(e)) return true;
  }
  return false;
}

/** `err` as an InfrastructureError of `service` when it is one, else as it was: for an adapter's catch. */
function classified(service: Infrastructure, err: unknown): unknown {
  return !(err instanceof InfrastructureError) && isInfrastructureFailure(err)
    ? new InfrastructureError(service, err)
    : err;
}

/**
 * `target` (an adapter: object store, database, queues) with each of its methods throwing infrastructure
 * failures as InfrastructureError of `service`. Its methods must all be async.
 */
export function guarded<T extends object>(service: Infrastructure, target: T): T {
  const out: Record<string, unknown> = { ...(target as Record<string, unknown>) };
  for (const [name, value] of Object.entries(target)) {
    if (typeof value !== 'function') continue;
    out[name] = async (...args: unknown[]) => {
      try {
        return await value.apply(target, args);
      } catch (err) {
        throw classified(service, err);
      }
    };
  }
  return out as T;
}
