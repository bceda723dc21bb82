/**
 * The API contract: each endpoint once, as zod schemas, shared by the server (validation and handler types,
 * platform/http.ts) and the stations (request and answer types, imported as types only). A request that does
 * not fit its schema is refused with 400 before any handler runs.
 */
import type * as z from 'zod';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Endpoint {
  method: Method;
  /** Fastify's path syntax: `/api/verification/tasks/:id`. */
  url: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The largest body taken, in bytes, when more than the API's 1 MiB (an export's files). */
  bodyLimit?: number;
  /** What a successful call answers with (JSON); absent for binary answers (images, PDFs, archives). */
  answer?: z.ZodType;
}

/** An endpoint as written, its schemas kept exactly (for the types derived from it). */
export const endpoint = <const E extends Endpoint>(e: E): E => e;

type Of<E, K extends keyof Endpoint> =
  E extends Record<K, infer S extends z.ZodType> ? z.infer<S> : undefined;
export type Params<E extends Endpoint> = Of<E, 'params'>;
export type Query<E extends Endpoint> = Of<E, 'query'>;
export type Body<E extends Endpoint> = Of<E, 'body'>;
export type Answer<E extends Endpoint> = Of<E, 'answer'>;
/** A request body as the caller writes it (before defaults and coercions). */
export type BodyIn<E extends Endpoint> = E extends { body: infer S extends z.ZodType }
  ? z.input<S>
  : undefined;
