/**
 * Exit codes, documented in docs/cli.md: scripts tell a bad command line from a failed operation.
 */
export const EXIT_OK = 0;
/** The server refused the request, could not be reached, or the task failed or was canceled. */
export const EXIT_FAILURE = 1;
/** The command line itself was wrong: unknown command or option, missing argument, bad value. */
export const EXIT_USAGE = 2;
/** Interrupted by Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

/** A mistake in what the user typed; nothing was sent to the server. */
export class UsageError extends Error {}

/** A task that ended in `failed` or `canceled`. */
export class TaskFailedError extends Error {}
