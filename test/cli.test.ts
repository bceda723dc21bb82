/** The command line as a new user meets it: help per command, short usage errors, messages not stack traces. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = new URL('../bin/rcoi.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'rcoi-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rcoi(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A usage error: the message, then where the command's help is; nothing else, and exit code 2. */
function expectUsageError(r: ReturnType<typeof rcoi>, command: string, message: RegExp): void {
  const lines = r.err.trimEnd().split('\n');
  expect(lines[0]).toMatch(new RegExp(`^rcoi ${command}: `));
  expect(lines[0]).toMatch(message);
  expect(lines.slice(1)).toEqual([`See 'rcoi ${command} --help'.`]);
  expect(r.code).toBe(2);
}

const COMMANDS = [
  'recognise',
  'generate',
  'demo',
  'forms',
  'forms import',
  'calibrate form',
  'calibrate bubbles',
  'calibrate thresholds',
  'serve',
  'worker',
  'keys',
  'package',
  'users add',
  'import ris',
  'export results',
];

describe('rcoi COMMAND --help', () => {
  for (const command of COMMANDS) {
    it(`${command} answers with its own usage`, () => {
      const r = rcoi(...command.split(' '), '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^Usage:\\n  rcoi ${command}[ \\n]`));
      // One command's usage and those of its subcommands (`forms import` under `forms`): no other line.
      const others = r.out.split('\n').filter((l) => /^ {2}rcoi /.test(l));
      expect(others).toHaveLength(
        COMMANDS.filter((c) => c === command || c.startsWith(`${command} `)).length,
      );
      expect(r.err).toBe('');
    });
  }

  it('calibrate --help lists the calibrate commands; -h and help COMMAND do as --help does', () => {
    expect(rcoi('calibrate', '--help').out).toMatch(
      /rcoi calibrate form [\s\S]*rcoi calibrate bubbles [\s\S]*rcoi calibrate thresholds /,
    );
    expect(rcoi('keys', '-h').out).toBe(rcoi('keys', '--help').out);
    expect(rcoi('help', 'keys').out).toBe(rcoi('keys', '--help').out);
  });
});

describe('usage errors', () => {
  it('are one line and a pointer to the command help, exit 2', () => {
    expectUsageError(rcoi('recognise'), 'recognise', /needs at least one FILE or DIR/);
    expectUsageError(rcoi('generate', '--bogus'), 'generate', /Unknown option '--bogus'/);
    expectUsageError(rcoi('calibrate', 'form', '--out', 'x'), 'calibrate form', /needs --form/);
    expectUsageError(rcoi('worker', '--concurrency', '0'), 'worker', /at least 1, got "0"/);
    expectUsageError(rcoi('import', 'ris', 'kits.csv'), 'import ris', /needs --mapping MAPPING.json/);
  });

  it('an unknown command points at the overall help', () => {
    const r = rcoi('recognize-all');
    expect(r.err).toBe(`rcoi: unknown command "recognize-all"\nSee 'rcoi --help'.\n`);
    expect(r.code).toBe(2);
  });

  it('an unknown form is a usage error naming the shipped forms, not a stack trace', () => {
    const r = rcoi('recognise', '--form', 'ege-as9', 'page.png');
    expectUsageError(r, 'recognise', /unknown form "ege-as9"; shipped: .*ege-as1-2023/);
    expectUsageError(rcoi('generate', '--form', 'ege-as9', '--out', 'g'), 'generate', /unknown form/);
  });
});

describe('rcoi keys', () => {
  it('without --rcoi or --ppe is a usage error and writes nothing', () => {
    expectUsageError(rcoi('keys', '--out', 'k0'), 'keys', /one of --rcoi or --ppe CODE/);
    expect(existsSync(join(dir, 'k0'))).toBe(false);
  });

  it('refuses a PPE code that is not one (it names files)', () => {
    expectUsageError(rcoi('keys', '--ppe', '../x', '--out', 'k0'), 'keys', /--ppe takes a PPE code/);
  });

  it('never replaces an existing private key without --force', () => {
    expect(rcoi('keys', '--rcoi', '--out', 'k1').code).toBe(0);
    const key = readFileSync(join(dir, 'k1', 'rcoi.key.pem'), 'utf8');
    const again = rcoi('keys', '--rcoi', '--out', 'k1');
    expect(again.err).toMatch(/^rcoi keys: k1\/rcoi\.key\.pem exists; --force replaces it/);
    expect(again.code).toBe(1);
    expect(readFileSync(join(dir, 'k1', 'rcoi.key.pem'), 'utf8')).toBe(key);
    expect(rcoi('keys', '--rcoi', '--out', 'k1', '--force').code).toBe(0);
    expect(readFileSync(join(dir, 'k1', 'rcoi.key.pem'), 'utf8')).not.toBe(key);
  });
});

describe('rcoi package errors are messages', () => {
  /** A failure the user can fix: the message, exit 1, no stack trace, no package written. */
  function expectFailure(r: ReturnType<typeof rcoi>, message: RegExp): void {
    expect(r.err).toMatch(/^rcoi package: /);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(1);
    expect(existsSync(join(dir, 'b1.pkg'))).toBe(false);
  }

  it('a missing batch folder, a bad manifest, a key of the wrong kind: exit 1, no stack trace', () => {
    rcoi('keys', '--rcoi', '--out', 'k2');
    rcoi('keys', '--ppe', '0101', '--out', 'k2');
    const manifest = join(dir, 'b1', 'batch.json');
    mkdirSync(join(dir, 'b1'));
    const seal = (key: string, to: string, folder = 'b1') =>
      rcoi('package', '--ppe', '0101', '--key', `k2/${key}`, '--to', `k2/${to}`, '--out', 'b1.pkg', folder);

    expectFailure(seal('0101.key.pem', 'rcoi.pem', 'nowhere'), /nowhere is not a batch folder: no readable/);
    writeFileSync(manifest, '{"batch": ');
    expectFailure(seal('0101.key.pem', 'rcoi.pem'), /invalid batch manifest b1\/batch\.json: .*JSON/);
    writeFileSync(manifest, '{"batch": "b1"}');
    expectFailure(seal('0101.key.pem', 'rcoi.pem'), /invalid batch manifest b1\/batch\.json:\n {2}station: /);
    writeFileSync(manifest, '{"batch": "b1", "station": "s", "exam": "e"}');
    expectFailure(seal('rcoi.key.pem', 'rcoi.pem'), /--key k2\/rcoi\.key\.pem: holds an x25519 private key/);
    expectFailure(seal('0101.key.pem', '0101.pem'), /--to k2\/0101\.pem: holds an ed25519 public key/);
    expectFailure(seal('none.pem', 'rcoi.pem'), /--key k2\/none\.pem: not a readable private key \(ENOENT/);
    expect(seal('0101.key.pem', 'rcoi.pem').out).toMatch(/^sealed 0 file\(s\) of batch b1 for PPE 0101/);
  });
});

describe('the summary table', () => {
  it('shows a rejection reason whole', () => {
    writeFileSync(join(dir, 'notes.txt'), 'not an image');
    const r = rcoi('recognise', '--jobs', '1', '--out', 'out', 'notes.txt');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^notes\.txt +- +rejected: unsupported-format +0 +0 /m);
  });
});

describe('rcoi forms import', () => {
  const samples = new URL('../samples/corpora/omrchecker-samples/', import.meta.url).pathname;

  it('writes a definition from an OMRChecker template that the recogniser takes', () => {
    const out = join(dir, 'bonus.json');
    const r = rcoi(
      'forms',
      'import',
      '--from',
      'omrchecker',
      '--out',
      out,
      `${samples}3-answer-key/bonus-marking/template.json`,
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/11 fields, registration by page-edges/);
    const def = JSON.parse(readFileSync(out, 'utf8'));
    expect(def).toMatchObject({
      id: 'omrchecker-bonus-marking',
      registration: 'page-edges',
      kind: 'bubble-sheet',
    });
    const read = rcoi(
      'recognise',
      '--form',
      out,
      '--out',
      join(dir, 'bonus-out'),
      `${samples}3-answer-key/bonus-marking/IMG_20201116_143512.jpg`,
    );
    expect(read.code).toBe(0);
    const page = JSON.parse(readFileSync(join(dir, 'bonus-out', 'results.jsonl'), 'utf8'));
    expect(page.form).toBe('omrchecker-bonus-marking');
    expect(page.registration.model).toBe('page-edges');
  });

  it('refuses a template whose registration has no counterpart, saying which (exit 1)', () => {
    const template = JSON.parse(readFileSync(`${samples}community/JoyChopra1298/template.json`, 'utf8'));
    const aligned = join(dir, 'feature-aligned.json');
    writeFileSync(
      aligned,
      JSON.stringify({ ...template, preProcessors: [{ name: 'FeatureBasedAlignment', options: {} }] }),
    );
    const r = rcoi('forms', 'import', '--from', 'omrchecker', aligned);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/pre-processor FeatureBasedAlignment has no counterpart here/);
  });

  it('needs --from omrchecker and one template', () => {
    expectUsageError(rcoi('forms', 'import', 'template.json'), 'forms import', /--from omrchecker/);
    expectUsageError(rcoi('forms', 'import', '--from', 'omrchecker'), 'forms import', /one TEMPLATE/);
  });
});
