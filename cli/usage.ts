/** A mistake in how a command was called: `rcoi` prints it with a pointer to the command's help, exit 2. */
export class UsageError extends Error {}

/** A command that cannot do what it was asked for a reason the user can fix: `rcoi` prints it, exit 1. */
export class CommandError extends Error {}

/** A `--NAME` option that takes a whole number of at least 1; `fallback` when it is not given. */
export function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${name} takes a whole number of at least 1, got "${value}"`);
  return n;
}
