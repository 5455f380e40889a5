/**
 * A tarball that cannot be imported. `entry` names the archive member at fault (empty when the archive as a
 * whole is wrong), so the failed task's message points at what to fix.
 */
export class TarballInvalidError extends Error {
  override readonly name = 'TarballInvalidError';
  constructor(
    readonly entry: string,
    readonly reason: string,
  ) {
    super(entry ? `entry ${JSON.stringify(entry)}: ${reason}` : reason);
  }
}
