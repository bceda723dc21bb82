/**
 * The service's settings, all from the environment (secrets included: never from files in the repository),
 * and the adapters they select: PostgreSQL or embedded PGlite, S3 or a folder, Redis queues or in-process.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { type PackageKeys, privateKeyFrom, publicKeyFrom } from '../domain/ppe-package.ts';
import type { Adapters } from './adapters.ts';
import { openDatabase } from './db.ts';
import { migrate } from './migrate.ts';
import { folderObjectStore, type S3Settings, s3ObjectStore } from './objects.ts';

const EnvSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  S3_ENDPOINT: z.string().min(1).optional(),
  S3_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  S3_USE_SSL: z.enum(['true', 'false']).default('true'),
  S3_ACCESS_KEY: z.string().min(1).optional(),
  S3_SECRET_KEY: z.string().min(1).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z.string().min(3).default('rcoi'),
  /** A bucket the service creates gets S3 object lock, so legal holds bind the store as well. */
  S3_OBJECT_LOCK: z.enum(['true', 'false']).default('true'),
  /** Embedded database, object folder and inbox live here. */
  RCOI_DATA_DIR: z.string().min(1).default('out/service'),
  RCOI_QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9-]+$/)
    .default('rcoi'),
  /** Milliseconds a job's lock lasts: a killed worker's job is taken over after this. */
  RCOI_LOCK_MS: z.coerce.number().int().min(500).default(30_000),
  /** Milliseconds between passes that queue again what Redis may have lost (and define the recurring jobs). */
  RCOI_REQUEUE_MS: z.coerce.number().int().min(500).default(60_000),
  /** Milliseconds a field is on a verifier's screen before a key may decide it (seen, not bounced through). */
  RCOI_VERIFY_DWELL_MS: z.coerce.number().int().min(0).max(5000).default(300),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** This RCOI's X25519 private key (PEM file): PPE packages are opened with it. */
  RCOI_PACKAGE_KEY_FILE: z.string().min(1).optional(),
  /** Registered PPE signing keys: one Ed25519 public key per PPE, CODE.pem. */
  RCOI_PPE_KEYS_DIR: z.string().min(1).optional(),
  /**
   * Milliseconds per field a verification group must be on screen before a key may decide it: the time to
   * look at one more crop (a fixation and its reading), so a larger group waits longer.
   */
  RCOI_GROUP_DWELL_MS: z.coerce.number().int().min(0).default(300),
});

export interface ServiceConfig {
  databaseUrl?: string;
  redisUrl?: string;
  s3?: S3Settings;
  dataDir: string;
  queuePrefix: string;
  lockMs: number;
  requeueMs: number;
  port: number;
  verifyDwellMs: number;
  packageKeys?: PackageKeys;
  groupDwellMs: number;
}

/** The RCOI's package key and the PPE keys it trusts, read once at start. */
function loadPackageKeys(keyFile: string, ppeDir: string | undefined): PackageKeys {
  const privateKey = privateKeyFrom(readFileSync(keyFile, 'utf8'));
  const ppe = new Map<string, KeyObject>();
  if (ppeDir) {
    for (const f of readdirSync(ppeDir)) {
      if (f.endsWith('.pem')) ppe.set(f.slice(0, -4), publicKeyFrom(readFileSync(join(ppeDir, f), 'utf8')));
    }
  }
  return { rcoi: { privateKey, publicKey: createPublicKey(privateKey) }, ppe: (code) => ppe.get(code) };
}

export function configFromEnv(env: NodeJS.ProcessEnv): ServiceConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`bad service settings:\n  ${issues.join('\n  ')}`);
  }
  const e = parsed.data;
  const s3Keys = [e.S3_ENDPOINT, e.S3_ACCESS_KEY, e.S3_SECRET_KEY];
  if (s3Keys.some(Boolean) && !s3Keys.every(Boolean))
    throw new Error('bad service settings: S3_ENDPOINT, S3_ACCESS_KEY and S3_SECRET_KEY go together');
  const useSSL = e.S3_USE_SSL === 'true';
  return {
    ...(e.DATABASE_URL && { databaseUrl: e.DATABASE_URL }),
    ...(e.REDIS_URL && { redisUrl: e.REDIS_URL }),
    ...(e.S3_ENDPOINT && {
      s3: {
        endPoint: e.S3_ENDPOINT,
        port: e.S3_PORT ?? (useSSL ? 443 : 80),
        useSSL,
        accessKey: e.S3_ACCESS_KEY!,
        secretKey: e.S3_SECRET_KEY!,
        region: e.S3_REGION,
        bucket: e.S3_BUCKET,
        objectLock: e.S3_OBJECT_LOCK === 'true',
      },
    }),
    dataDir: e.RCOI_DATA_DIR,
    queuePrefix: e.RCOI_QUEUE_PREFIX,
    lockMs: e.RCOI_LOCK_MS,
    requeueMs: e.RCOI_REQUEUE_MS,
    port: e.PORT,
    verifyDwellMs: e.RCOI_VERIFY_DWELL_MS,
    groupDwellMs: e.RCOI_GROUP_DWELL_MS,
    ...(e.RCOI_PACKAGE_KEY_FILE && {
      packageKeys: loadPackageKeys(e.RCOI_PACKAGE_KEY_FILE, e.RCOI_PPE_KEYS_DIR),
    }),
  };
}

/** The adapters a process opened, to close when it stops. */
export type OpenedAdapters = Adapters & { close(): Promise<void> };

/** Opens and migrates the database and opens the object store the settings name. */
export async function openAdapters(config: ServiceConfig): Promise<OpenedAdapters> {
  const db = await openDatabase(config.databaseUrl, join(config.dataDir, 'db'));
  await migrate(db);
  const objects = config.s3
    ? await s3ObjectStore(config.s3)
    : folderObjectStore(join(config.dataDir, 'objects'));
  return { db, objects, close: () => db.close() };
}
