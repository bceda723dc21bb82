import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import * as Minio from 'minio';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { testServices } from './services.ts';

// Unique names, so runs that share a server never see each other's keys or buckets.
const suffix = `${Date.now()}-${randomBytes(4).toString('hex')}`;

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

describe('test services', () => {
  it('PostgreSQL 15 answers', async () => {
    const client = new pg.Client({ connectionString: testServices().databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: string; db: string }>(
        'select version() as version, current_database() as db',
      );
      expect(rows[0]?.version).toMatch(/^PostgreSQL 15\./);
      expect(rows[0]?.db).toBe('rcoi_test');
    } finally {
      await client.end();
    }
  });

  it('Redis stores and returns a value', async () => {
    const redis = new Redis(testServices().redisUrl, { maxRetriesPerRequest: null });
    const key = `rcoi:smoke:${suffix}`;
    try {
      await redis.set(key, 'hello', 'EX', 60);
      expect(await redis.get(key)).toBe('hello');
      await redis.del(key);
    } finally {
      await redis.quit();
    }
  });

  it('S3 stores an object with metadata', async () => {
    const s3 = testServices().s3;
    const client = new Minio.Client(s3);
    const bucket = `rcoi-smoke-${suffix}`;
    const name = 'scans/page-1.txt';
    const body = Buffer.from('scanned page');
    await client.makeBucket(bucket, s3.region);
    try {
      await client.putObject(bucket, name, body, body.length, {
        'Content-Type': 'text/plain',
        'X-Amz-Meta-Form': 'ege-answers-1',
      });
      const stat = await client.statObject(bucket, name);
      expect(stat.size).toBe(body.length);
      expect(stat.metaData['form']).toBe('ege-answers-1');
      expect(await readAll(await client.getObject(bucket, name))).toEqual(body);
    } finally {
      await client.removeObject(bucket, name);
      await client.removeBucket(bucket);
    }
  });
});
