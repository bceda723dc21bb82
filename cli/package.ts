/**
 * `rcoi keys` makes the key pairs PPE packages need; `rcoi package` seals a batch folder at a PPE HQ for one
 * RCOI. Private keys are written with mode 0600 and never printed.
 */
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
import { PACKAGE_SUFFIX } from '../service/inbox.ts';
import { UsageError } from './usage.ts';

export async function keysCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { rcoi: { type: 'boolean' }, ppe: { type: 'string' }, out: { type: 'string' } },
  });
  if (!values.out || values.rcoi === (values.ppe !== undefined))
    throw new UsageError('keys needs --out DIR and one of --rcoi or --ppe CODE');
  await mkdir(values.out, { recursive: true });
  const name = values.rcoi ? 'rcoi' : values.ppe!;
  const pair = values.rcoi ? generateRcoiKeys() : generatePpeKeys();
  await writeFile(join(values.out, `${name}.key.pem`), pemOf(pair.privateKey), { mode: 0o600 });
  await writeFile(join(values.out, `${name}.pem`), pemOf(pair.publicKey));
  console.log(
    `wrote ${join(values.out, `${name}.key.pem`)} (private, keep it there) and ${join(values.out, `${name}.pem`)}` +
      (values.rcoi
        ? ` (public, give it to the PPEs); key id ${keyId(pair.publicKey)}`
        : ' (public, register it at the RCOI)'),
  );
  return 0;
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
  const manifest = parseBatchManifest(
    JSON.parse(await readFile(join(dir, 'batch.json'), 'utf8')),
    join(dir, 'batch.json'),
  );
  const files = [];
  for (const name of (await readdir(dir)).sort()) {
    if (name === 'batch.json' || name.startsWith('.') || !(await stat(join(dir, name))).isFile()) continue;
    files.push({ name, bytes: new Uint8Array(await readFile(join(dir, name))) });
  }
  const bytes = sealPackage({
    ppe: values.ppe,
    ppeKey: privateKeyFrom(await readFile(values.key, 'utf8')),
    rcoiPublicKey: publicKeyFrom(await readFile(values.to, 'utf8')),
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
