/**
 * Images in object storage behind one small interface: S3 (MinIO in production, any S3-compatible server)
 * through the minio client, or a local folder for the embedded default. Keys are laid out by exam year and
 * material kind (`2026/as2-image/ab/abcdef…`), so retention and lifecycle rules work on prefixes, and every
 * object carries its material kind, exam date and SHA-256 as metadata.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import * as Minio from 'minio';
import type { MaterialKind } from '../domain/retention.ts';

export interface ObjectMeta {
  material: MaterialKind;
  /** YYYY-MM-DD */
  examDate: string;
  sha256: string;
  contentType: string;
}

export interface StoredObject {
  key: string;
  bytes: number;
  meta: ObjectMeta;
}

export interface ObjectStore {
  readonly kind: 's3' | 'folder';
  put(key: string, body: Uint8Array, meta: ObjectMeta): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  /** null when there is no such object. */
  stat(key: string): Promise<StoredObject | null>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
  /**
   * Asks the store itself to expire everything under `prefix` after `after` (a backstop behind the sweeper,
   * never the guard); false when the store has no such rules.
   */
  setExpiryBackstop(id: string, prefix: string, after: Date): Promise<boolean>;
}

/** Where an object of this material, exam year and content lives. */
export function objectKey(examYear: number, material: MaterialKind, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
  return `${examYear}/${material}/${sha256.slice(0, 2)}/${sha256}`;
}

const META_HEADERS = {
  material: 'x-amz-meta-material',
  examDate: 'x-amz-meta-exam-date',
  sha256: 'x-amz-meta-sha256',
} as const;

export interface S3Settings {
  endPoint: string;
  port: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  region: string;
  bucket: string;
}

/** An S3 bucket, created on first use. */
export async function s3ObjectStore(s: S3Settings): Promise<ObjectStore> {
  const client = new Minio.Client({
    endPoint: s.endPoint,
    port: s.port,
    useSSL: s.useSSL,
    accessKey: s.accessKey,
    secretKey: s.secretKey,
    region: s.region,
  });
  if (!(await client.bucketExists(s.bucket))) {
    try {
      await client.makeBucket(s.bucket, s.region);
    } catch (err) {
      // Another process made it in the meantime.
      if (!(await client.bucketExists(s.bucket))) throw err;
    }
  }
  const rules = new Map<string, Minio.LifecycleRule>();
  return {
    kind: 's3',
    async put(key, body, meta) {
      await client.putObject(s.bucket, key, Buffer.from(body), body.length, {
        'Content-Type': meta.contentType,
        [META_HEADERS.material]: meta.material,
        [META_HEADERS.examDate]: meta.examDate,
        [META_HEADERS.sha256]: meta.sha256,
      });
    },
    async get(key) {
      const chunks: Buffer[] = [];
      for await (const chunk of await client.getObject(s.bucket, key)) chunks.push(chunk as Buffer);
      return new Uint8Array(Buffer.concat(chunks));
    },
    async stat(key) {
      try {
        const st = await client.statObject(s.bucket, key);
        const m = st.metaData as Record<string, string>;
        return {
          key,
          bytes: st.size,
          meta: {
            material: m.material as MaterialKind,
            examDate: m['exam-date'] ?? '',
            sha256: m.sha256 ?? '',
            contentType: m['content-type'] ?? '',
          },
        };
      } catch (err) {
        if ((err as { code?: string }).code === 'NotFound') return null;
        throw err;
      }
    },
    async delete(key) {
      await client.removeObject(s.bucket, key);
    },
    async list(prefix) {
      const keys: string[] = [];
      for await (const item of client.listObjectsV2(s.bucket, prefix, true)) {
        if (item.name) keys.push(item.name);
      }
      return keys.sort();
    },
    async setExpiryBackstop(id, prefix, after) {
      // Lifecycle dates are midnights UTC: the first one after `after`.
      const day = new Date(Math.ceil(after.getTime() / 86_400_000) * 86_400_000);
      const expiration = { Date: day.toISOString() } as Minio.LifecycleRule['Expiration'];
      rules.set(id, { ID: id, Status: 'Enabled', Filter: { Prefix: prefix }, Expiration: expiration });
      await client.setBucketLifecycle(s.bucket, { Rule: [...rules.values()] });
      return true;
    },
  };
}

/** A folder: each object a file, its metadata in a sidecar. For the embedded default and tools. */
export function folderObjectStore(root: string): ObjectStore {
  const file = (key: string) => {
    if (key.split('/').some((part) => part === '' || part === '.' || part === '..'))
      throw new Error(`bad object key: ${key}`);
    return join(root, ...key.split('/'));
  };
  const metaFile = (key: string) => `${file(key)}.meta.json`;
  return {
    kind: 'folder',
    async put(key, body, meta) {
      await mkdir(dirname(file(key)), { recursive: true });
      // Metadata first: an object without its sidecar would be unaccounted for by retention.
      await writeFile(metaFile(key), JSON.stringify(meta));
      await writeFile(file(key), body);
    },
    async get(key) {
      return new Uint8Array(await readFile(file(key)));
    },
    async stat(key) {
      try {
        const [st, meta] = await Promise.all([stat(file(key)), readFile(metaFile(key), 'utf8')]);
        return { key, bytes: st.size, meta: JSON.parse(meta) as ObjectMeta };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async delete(key) {
      await rm(file(key), { force: true });
      await rm(metaFile(key), { force: true });
    },
    async list(prefix) {
      const keys: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        let entries: import('node:fs').Dirent[];
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw err;
        }
        for (const e of entries) {
          const path = join(dir, e.name);
          if (e.isDirectory()) await walk(path);
          else if (!e.name.endsWith('.meta.json')) keys.push(relative(root, path).split(sep).join('/'));
        }
      };
      await walk(root);
      return keys.filter((k) => k.startsWith(prefix)).sort();
    },
    async setExpiryBackstop() {
      return false;
    },
  };
}
