/**
 * Runs `work` for every item with at most `limit` running at once. After the first failure no new item
 * starts; the running ones are awaited (nothing keeps writing after the caller gave up), then it is thrown.
 */
export async function forEachConcurrently<T>(
  items: Iterable<T>,
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (failure === undefined && queue.length > 0) {
      try {
        await work(queue.shift()!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, queue.length)) }, lane));
  if (failure) throw failure.error;
}
