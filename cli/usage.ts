/** A mistake in how a command was called: `rcoi` prints it with the help and exits 2. */
export class UsageError extends Error {}
