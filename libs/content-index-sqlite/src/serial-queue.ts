/**
 * Runs tasks one at a time in call order. The SQLite writer connection needs it because applyVersion keeps
 * a transaction open across the awaits that fetch its chunks: any other write started meanwhile on the same
 * connection would silently become part of that transaction.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves when every task queued so far has settled. */
  async drain(): Promise<void> {
    await this.tail;
  }
}
