/**
 * Remembers message ids for a limited time so a message published twice (an outbox relay retrying after a
 * crash) is stored once. Memory stays bounded by the window: ids older than it are forgotten.
 */
export class DedupeWindow {
  private readonly firstSeenAt = new Map<string, number>();

  constructor(private readonly windowMs: number) {}

  /** True the first time `id` is offered within the window, false for a duplicate. */
  admit(id: string): boolean {
    const now = Date.now();
    this.forgetOlderThan(now - this.windowMs);
    if (this.firstSeenAt.has(id)) return false;
    this.firstSeenAt.set(id, now);
    return true;
  }

  private forgetOlderThan(cutoff: number): void {
    // A Map iterates in insertion order, which is also time order, so the expired ids are all at the front.
    for (const [id, seenAt] of this.firstSeenAt) {
      if (seenAt > cutoff) return;
      this.firstSeenAt.delete(id);
    }
  }
}
