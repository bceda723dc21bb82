/** Users, their roles and API tokens. A token is shown once when issued; only its SHA-256 is stored. */
import { createHash, randomBytes } from 'node:crypto';
import type { User } from '../../contract/admin.ts';
import type { Queryable } from '../db.ts';

export type { Role, User } from '../../contract/admin.ts';

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
const newToken = () => randomBytes(24).toString('base64url');

/** Creates (or re-keys) a user and returns the new token. */
export async function issueUser(db: Queryable, user: User): Promise<string> {
  const token = newToken();
  await db.query(
    `insert into users (id, name, role, token_sha256) values ($1, $2, $3, $4)
     on conflict (id) do update set name = $2, role = $3, token_sha256 = $4, disabled_at = null`,
    [user.id, user.name, user.role, hash(token)],
  );
  return token;
}

/** Creates a user whose id is not taken and returns the token; null when a user has that id already. */
export async function addUser(db: Queryable, user: User): Promise<string | null> {
  const token = newToken();
  const rows = await db.query(
    `insert into users (id, name, role, token_sha256) values ($1, $2, $3, $4)
     on conflict (id) do nothing returning id`,
    [user.id, user.name, user.role, hash(token)],
  );
  return rows.length > 0 ? token : null;
}

export async function userByToken(db: Queryable, token: string): Promise<User | null> {
  const [row] = await db.query<User>(
    'select id, name, role from users where token_sha256 = $1 and disabled_at is null',
    [hash(token)],
  );
  return row ?? null;
}

export async function listUsers(db: Queryable): Promise<(User & { disabled: boolean })[]> {
  return db.query(`select id, name, role, disabled_at is not null as disabled from users order by role, id`);
}

/** Signs a user out for good: their token stops working (issuing them again gives a new one). */
export async function disableUser(db: Queryable, id: string): Promise<boolean> {
  const rows = await db.query(
    'update users set disabled_at = now() where id = $1 and disabled_at is null returning id',
    [id],
  );
  return rows.length > 0;
}
