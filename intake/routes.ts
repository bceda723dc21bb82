/** Intake: batch uploads, their reconciliation, and a page's preview for the operator. */

import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { type BatchManifest, parseBatchManifest } from '../domain/batch.ts';
import { OPERATORS } from '../platform/access.ts';
import type { ServiceContext } from '../platform/adapters.ts';
import { pagePreview } from '../platform/images.ts';
import { queueRecognition } from '../platform/queues.ts';
import { audit } from '../platform/store/audit.ts';
import { type IncomingFile, ingestBatch } from './ingest.ts';
import { batchReport } from './store.ts';

/**
 * A batch upload: a few thousand pages of at most 200 MB each (a multi-page TIFF of a whole room), and a
 * manifest of a few hundred bytes (a field: at most 1 MiB).
 */
export const UPLOAD_LIMITS = { fileSize: 200 * 1024 * 1024, files: 5000, fields: 5, fieldSize: 1024 * 1024 };

export function intakeRoutes(app: FastifyInstance, deps: ServiceContext): void {
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
    // Each file goes to disk as it arrives and is read back when ingest comes to it.
    const spool = await mkdtemp(join(tmpdir(), 'rcoi-upload-'));
    try {
      for await (const part of req.parts()) {
        if (part.type === 'field' && part.fieldname === 'manifest') {
          // A field over the limit arrives cut short: say so rather than fail to parse what is left.
          if (part.valueTruncated)
            return reply
              .code(413)
              .send({ error: `the manifest is larger than ${UPLOAD_LIMITS.fieldSize} bytes` });
          try {
            manifest = parseBatchManifest(JSON.parse(String(part.value)), 'in the upload');
          } catch (err) {
            return reply.code(400).send({ error: (err as Error).message });
          }
        } else if (part.type === 'file') {
          const path = join(spool, String(files.length));
          await pipeline(part.file, createWriteStream(path));
          // A file over the limit arrives cut short: refuse the batch rather than keep a cut page.
          if (part.file.truncated)
            return reply
              .code(413)
              .send({ error: `${part.filename}: larger than ${UPLOAD_LIMITS.fileSize} bytes` });
          files.push({ name: part.filename, bytes: async () => new Uint8Array(await readFile(path)) });
        }
      }
      if (!manifest) return reply.code(400).send({ error: 'the upload has no manifest field' });
      if (files.length === 0) return reply.code(400).send({ error: 'the upload has no files' });
      return reply.code(201).send(await ingestUpload(manifest, files, req.user!.id));
    } finally {
      await rm(spool, { recursive: true, force: true });
    }
  });

  const ingestUpload = async (manifest: BatchManifest, files: IncomingFile[], by: string) => {
    const result = await ingestBatch(deps, manifest, 'upload', files, (ids) =>
      queueRecognition(deps.queues, ids),
    );
    await audit(deps.db, by, 'batch.upload', result.batchId, {
      files: files.length,
      newPages: result.newPages.length,
    });
    return { ...result, newPages: result.newPages.length };
  };

  app.get<{ Params: { id: string } }>(
    '/api/batches/:id',
    { config: { roles: OPERATORS } },
    async (req, reply) => {
      const report = await batchReport(deps.db, deps.forms, req.params.id);
      return report ?? reply.code(404).send({ error: `no batch ${req.params.id}` });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/pages/:id/preview',
    { config: { roles: OPERATORS } },
    async (req, reply) => {
      const jpeg = await pagePreview(deps, req.params.id);
      if (!jpeg) return reply.code(404).send({ error: `no image of page ${req.params.id} to show` });
      await audit(deps.db, req.user!.id, 'image.view', `page:${req.params.id}`, {});
      return reply.type('image/jpeg').send(Buffer.from(jpeg));
    },
  );
}
