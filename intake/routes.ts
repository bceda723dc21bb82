/** Intake: batch uploads, their reconciliation, and a page's preview for the operator. */

import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { getBatch, listBatches, previewPage, uploadBatch } from '../contract/intake.ts';
import { type BatchManifest, parseBatchManifest } from '../domain/batch.ts';
import { OPERATORS } from '../platform/access.ts';
import type { ServiceContext } from '../platform/adapters.ts';
import { ServiceError } from '../platform/errors.ts';
import { route } from '../platform/http.ts';
import { pagePreview } from '../platform/images.ts';
import { queueRecognition } from '../platform/queues.ts';
import { audit } from '../platform/store/audit.ts';
import { type IncomingFile, ingestBatch } from './ingest.ts';
import { batchReport, recentBatches } from './store.ts';

/**
 * A batch upload: a few thousand pages of at most 200 MB each (a multi-page TIFF of a whole room), and a
 * manifest of a few hundred bytes (a field: at most 1 MiB).
 */
export const UPLOAD_LIMITS = { fileSize: 200 * 1024 * 1024, files: 5000, fields: 5, fieldSize: 1024 * 1024 };

/** A manifest field, parsed and checked; a 400 saying what is wrong with it otherwise. */
function readManifest(text: string): BatchManifest {
  try {
    return parseBatchManifest(JSON.parse(text), 'in the upload');
  } catch (err) {
    throw new ServiceError('bad-request', (err as Error).message);
  }
}

const access = { roles: OPERATORS };

export function intakeRoutes(app: FastifyInstance, deps: ServiceContext): void {
  route(app, listBatches, access, async () => recentBatches(deps.db));

  // Upload: multipart/form-data with a `manifest` field (the batch.json) and the page files.
  route(app, uploadBatch, access, async ({ raw: req, user }, reply) => {
    if (!req.isMultipart())
      throw new ServiceError('wrong-media-type', 'send the batch as multipart/form-data');
    let manifest: BatchManifest | undefined;
    const files: IncomingFile[] = [];
    // Each file goes to disk as it arrives and is read back when ingest comes to it.
    const spool = await mkdtemp(join(tmpdir(), 'rcoi-upload-'));
    try {
      for await (const part of req.parts()) {
        if (part.type === 'field' && part.fieldname === 'manifest') {
          // A field over the limit arrives cut short: say so rather than fail to parse what is left.
          if (part.valueTruncated)
            throw new ServiceError(
              'too-large',
              `the manifest is larger than ${UPLOAD_LIMITS.fieldSize} bytes`,
            );
          manifest = readManifest(String(part.value));
        } else if (part.type === 'file') {
          const path = join(spool, String(files.length));
          await pipeline(part.file, createWriteStream(path));
          // A file over the limit arrives cut short: refuse the batch rather than keep a cut page.
          if (part.file.truncated)
            throw new ServiceError(
              'too-large',
              `${part.filename}: larger than ${UPLOAD_LIMITS.fileSize} bytes`,
            );
          files.push({ name: part.filename, bytes: async () => new Uint8Array(await readFile(path)) });
        }
      }
      if (!manifest) throw new ServiceError('bad-request', 'the upload has no manifest field');
      if (files.length === 0) throw new ServiceError('bad-request', 'the upload has no files');
      return reply.code(201).send(await ingestUpload(manifest, files, user.id));
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

  route(app, getBatch, access, async ({ params }) => {
    const report = await batchReport(deps.db, deps.forms, params.id);
    if (!report) throw new ServiceError('no-such-batch', `no batch ${params.id}`);
    return report;
  });

  route(app, previewPage, access, async ({ params, user }, reply) => {
    const jpeg = await pagePreview(deps, params.id);
    if (!jpeg) throw new ServiceError('no-such-image', `no image of page ${params.id} to show`);
    await audit(deps.db, user.id, 'image.view', `page:${params.id}`, {});
    return reply.type('image/jpeg').send(Buffer.from(jpeg));
  });
}
