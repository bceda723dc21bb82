/**
 * The HTTP API. Every /api route names the roles that may call it and is refused to anyone else; a caller is
 * known by a bearer token. Verifiers see only the task leased to them, and every image they are shown is an
 * audit event.
 */
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { FormDefinition } from '../calibration/form-schema.ts';
import { type BatchManifest, parseBatchManifest } from '../domain/batch.ts';
import { batchReport } from '../storage/batches.ts';
import { type Role, type User, userByToken } from '../storage/users.ts';
import { audit, type Decision, decide, takeNextTask, VerificationError } from '../storage/verification.ts';
import { assembleWorks, importKits } from '../storage/works.ts';
import type { StageQueues } from '../workers/queues.ts';
import {
  type IncomingFile,
  ingestBatch,
  type StageDeps,
  UnknownExamError,
} from '../workers/stages/ingest.ts';
import { fieldCrop } from './crops.ts';
import { log } from './log.ts';
import { metricsText } from './metrics.ts';

export interface ApiDeps extends StageDeps {
  forms: FormDefinition[];
  queues: StageQueues;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: User | null;
  }
  interface FastifyContextConfig {
    roles?: readonly Role[];
  }
}

/** A batch upload: a few thousand pages of at most 200 MB each (a multi-page TIFF of a whole room). */
const UPLOAD_LIMITS = { fileSize: 200 * 1024 * 1024, files: 5000, fields: 5 };

const VERIFIERS = ['verifier', 'senior-verifier'] as const;
const OPERATORS = ['operator', 'admin'] as const;

const STATUS_OF: Record<VerificationError['code'], number> = {
  'no-such-task': 404,
  'not-yours': 403,
  'not-allowed': 403,
  'bad-value': 422,
};

export function buildApi(deps: ApiDeps, opts: { logger?: boolean } = {}): FastifyInstance {
  // The shared pino logger's type is narrower than Fastify's default instance type; the instance is the same.
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: log } : { logger: false }),
    bodyLimit: 1024 * 1024,
  }) as unknown as FastifyInstance;
  app.decorateRequest('user', null);
  app.register(multipart, { limits: UPLOAD_LIMITS });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.url.startsWith('/api/') && !req.url.startsWith('/metrics')) return;
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    req.user = token ? await userByToken(deps.db, token) : null;
    if (!req.user) return reply.code(401).send({ error: 'sign in: a valid bearer token is required' });
    const roles = req.routeOptions.config.roles;
    // A route without roles is a mistake, not an open door.
    if (!roles?.includes(req.user.role))
      return reply.code(403).send({ error: `role ${req.user.role} may not use this` });
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    if (err instanceof VerificationError) return reply.code(STATUS_OF[err.code]).send({ error: err.message });
    if (err instanceof UnknownExamError) return reply.code(422).send({ error: err.message });
    const status = err.statusCode ?? 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    return reply.code(status).send({ error: status < 500 ? err.message : 'internal error' });
  });

  app.get('/health', async () => {
    await deps.db.query('select 1');
    return { status: 'ok', database: deps.db.kind, objects: deps.objects.kind };
  });

  // Prometheus scrapes with an admin's bearer token: the counts say nothing personal, but they are not public.
  app.get('/metrics', { config: { roles: ['admin'] } }, async (_req, reply) =>
    reply.type('text/plain; version=0.0.4').send(await metricsText(deps)),
  );

  app.get(
    '/api/me',
    { config: { roles: ['operator', 'verifier', 'senior-verifier', 'expert', 'chair', 'admin'] } },
    async (req) => req.user,
  );

  app.get('/api/batches', { config: { roles: OPERATORS } }, async () =>
    deps.db.query(
      `select b.id, b.station, b.external_id, b.exam_id, b.source, b.created_at,
         (select count(*)::int from batch_items i where i.batch_id = b.id) as files
       from batches b order by b.created_at desc limit 500`,
    ),
  );

  // Upload: multipart/form-data with a `manifest` field (the batch.json) and the page files.
  app.post('/api/batches', { config: { roles: OPERATORS } }, async (req, reply) => {
    if (!req.isMultipart()) return reply.code(415).send({ error: 'send the batch as multipart/form-data' });
    let manifest: BatchManifest | undefined;
    const files: IncomingFile[] = [];
    for await (const part of req.parts()) {
      if (part.type === 'field' && part.fieldname === 'manifest') {
        try {
          manifest = parseBatchManifest(JSON.parse(String(part.value)), 'in the upload');
        } catch (err) {
          return reply.code(400).send({ error: (err as Error).message });
        }
      } else if (part.type === 'file') {
        const bytes = new Uint8Array(await part.toBuffer());
        // A file over the limit arrives cut short: refuse the batch rather than keep a cut page.
        if (part.file.truncated)
          return reply
            .code(413)
            .send({ error: `${part.filename}: larger than ${UPLOAD_LIMITS.fileSize} bytes` });
        files.push({ name: part.filename, bytes });
      }
    }
    if (!manifest) return reply.code(400).send({ error: 'the upload has no manifest field' });
    if (files.length === 0) return reply.code(400).send({ error: 'the upload has no files' });
    const result = await ingestBatch(deps, manifest, 'upload', files);
    for (const pageId of result.newPages) await deps.queues.add('recognise', pageId, { pageId });
    await audit(deps.db, req.user!.id, 'batch.upload', result.batchId, {
      files: files.length,
      newPages: result.newPages.length,
    });
    return reply.code(201).send({ ...result, newPages: result.newPages.length });
  });

  app.get<{ Params: { id: string } }>(
    '/api/batches/:id',
    { config: { roles: OPERATORS } },
    async (req, reply) => {
      const report = await batchReport(deps.db, deps.forms, req.params.id);
      return report ?? reply.code(404).send({ error: `no batch ${req.params.id}` });
    },
  );

  app.addContentTypeParser(
    'text/csv',
    { parseAs: 'string', bodyLimit: 20 * 1024 * 1024 },
    (_req, body, done) => done(null, body),
  );

  app.post<{ Body: string }>('/api/kits', { config: { roles: OPERATORS } }, async (req, reply) => {
    if (typeof req.body !== 'string')
      return reply.code(415).send({ error: 'send the kit manifest as text/csv' });
    const result = await importKits(deps.db, req.body);
    await audit(deps.db, req.user!.id, 'kits.import', 'kits', {
      kits: result.kits,
      errors: result.errors.length,
    });
    return result;
  });

  app.post('/api/works/assemble', { config: { roles: OPERATORS } }, async () => assembleWorks(deps.db));

  const verifier = (req: FastifyRequest) => ({
    id: req.user!.id,
    senior: req.user!.role === 'senior-verifier',
  });

  app.post('/api/verification/next', { config: { roles: VERIFIERS } }, async (req, reply) => {
    const task = await takeNextTask(deps.db, verifier(req));
    return task ?? reply.code(204).send();
  });

  app.get<{ Params: { id: string } }>(
    '/api/verification/tasks/:id/image',
    { config: { roles: VERIFIERS } },
    async (req, reply) => {
      const [task] = await deps.db.query<{ page_id: string; field: string; leased_by: string | null }>(
        'select page_id, field, leased_by from verification_tasks where id = $1',
        [Number(req.params.id) || 0],
      );
      if (!task) return reply.code(404).send({ error: `no verification task ${req.params.id}` });
      if (task.leased_by !== req.user!.id)
        return reply.code(403).send({ error: 'this task is not leased to you' });
      const png = await fieldCrop(deps, deps.forms, task.page_id, task.field);
      if (!png) return reply.code(404).send({ error: 'no image for this field' });
      await audit(deps.db, req.user!.id, 'image.view', `${task.page_id}/${task.field}`, {});
      return reply.type('image/png').send(Buffer.from(png));
    },
  );

  app.post<{ Params: { id: string }; Body: Decision }>(
    '/api/verification/tasks/:id',
    {
      config: { roles: VERIFIERS },
      schema: {
        body: {
          type: 'object',
          required: ['action'],
          additionalProperties: false,
          properties: {
            action: { enum: ['confirm', 'correct', 'escalate'] },
            value: { type: 'string', maxLength: 200 },
          },
        },
      },
    },
    async (req) => {
      const body = req.body;
      const decision: Decision =
        body.action === 'correct'
          ? { action: 'correct', value: (body as { value?: string }).value ?? '' }
          : body;
      return decide(deps.db, deps.forms, verifier(req), Number(req.params.id) || 0, decision);
    },
  );

  return app;
}
