/**
 * `rcoi keys` makes the key pairs PPE packages need; `rcoi package` seals a batch folder at a PPE HQ for one
 * RCOI. Private keys are written with mode 0600 and never printed.
 */
import type { KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseBatchManifest } from '../domain/batch.ts';
import {
  generatePpeKeys,
  generateRcoiKeys,
  keyId,
  pemOf,
  privateKeyFrom,
  publicKeyFrom,
  sealPackage,
} from '../domain/ppe-package.ts';
import { PACKAGE_SUFFIX } from '../intake/inbox.ts';
import { CommandError, UsageError } from './usage.ts';

/** A PPE code names files (CODE.key.pem, CODE.pem) and travels in manifests, which allow up to 20 characters. */
function ppeCode(code: string): void {
  if (!/^[A-Za-z0-9_-]{1,20}$/.test(code))
    throw new UsageError(`--ppe takes a PPE code (letters, digits, - and _, at most 20), got "${code}"`);
}

export async function keysCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      rcoi: { type: 'boolean' },
      ppe: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
    },
  });
  if (!values.out || Boolean(values.rcoi) === (values.ppe !== undefined))
    throw new UsageError('keys needs --out DIR and one of --rcoi or --ppe CODE');
  if (values.ppe !== undefined) ppeCode(values.ppe);
  const name = values.rcoi ? 'rcoi' : values.ppe!;
  const privatePath = join(values.out, `${name}.key.pem`);
  const publicPath = join(values.out, `${name}.pem`);
  await mkdir(values.out, { recursive: true });
  const pair = values.rcoi ? generateRcoiKeys() : generatePpeKeys();
  // Exclusive unless --force: a replaced RCOI key can no longer open the packages sealed for the old one.
  await writeFile(privatePath, pemOf(pair.privateKey), {
    mode: 0o600,
    flag: values.force ? 'w' : 'wx',
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
    throw new CommandError(`${privatePath} exists; --force replaces it (its public key stops working)`);
  });
  await writeFile(publicPath, pemOf(pair.publicKey));
  console.log(
    `wrote ${privatePath} (private, keep it there) and ${publicPath}` +
      (values.rcoi
        ? ` (public, give it to the PPEs); key id ${keyId(pair.publicKey)}`
        : ' (public, register it at the RCOI)'),
  );
  return 0;
}

/** A key file as the kind `rcoi keys` makes; anything else is a message naming the option and the file. */
async function keyFile(option: string, path: string, want: 'private' | 'public', type: string) {
  let key: KeyObject;
  try {
    const pem = await readFile(path, 'utf8');
    key = want === 'private' ? privateKeyFrom(pem) : publicKeyFrom(pem);
  } catch (err) {
    throw new CommandError(`${option} ${path}: not a readable ${want} key (${(err as Error).message})`);
  }
  if (key.type !== want || key.asymmetricKeyType !== type)
    throw new CommandError(
      `${option} ${path}: holds an ${key.asymmetricKeyType} ${key.type} key; ${type} ${want} is needed`,
    );
  return key;
}

export async function packageCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ppe: { type: 'string' },
      key: { type: 'string' },
      to: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const [dir, ...extra] = positionals;
  if (!values.ppe || !values.key || !values.to || !dir || extra.length > 0)
    throw new UsageError('package needs --ppe CODE --key PPE.key.pem --to RCOI.pem [--out FILE] BATCH_DIR');
  ppeCode(values.ppe);
  const manifestPath = join(dir, 'batch.json');
  const manifestText = await readFile(manifestPath, 'utf8').catch((err: Error) => {
    throw new CommandError(`${dir} is not a batch folder: no readable batch.json (${err.message})`);
  });
  let manifestJson: unknown;
  try {
    manifestJson = JSON.parse(manifestText);
  } catch (err) {
    throw new CommandError(`invalid batch manifest ${manifestPath}: ${(err as Error).message}`);
  }
  const manifest = parseBatchManifest(manifestJson, manifestPath);
  const ppeKey = await keyFile('--key', values.key, 'private', 'ed25519');
  const rcoiPublicKey = await keyFile('--to', values.to, 'public', 'x25519');
  const files = [];
  for (const name of (await readdir(dir)).sort()) {
    if (name === 'batch.json' || name.startsWith('.') || !(await stat(join(dir, name))).isFile()) continue;
    files.push({ name, bytes: new Uint8Array(await readFile(join(dir, name))) });
  }
  const bytes = sealPackage({
    ppe: values.ppe,
    ppeKey,
    rcoiPublicKey,
    manifest: { ...manifest, ppe: manifest.ppe ?? values.ppe },
    files,
  });
  const out = values.out ?? `${basename(dir)}${PACKAGE_SUFFIX}`;
  await writeFile(out, bytes);
  console.log(
    `sealed ${files.length} file(s) of batch ${manifest.batch} for PPE ${values.ppe}: ${out} (${bytes.length} bytes)`,
  );
  return 0;
}
