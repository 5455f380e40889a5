import { Injectable } from '@nestjs/common';

/**
 * One writer per repository at a time inside this process. Writers of one repository would otherwise all
 * plan against the same latest version and all but one lose the append, re-planning again and again; queued,
 * each plans once on the version its predecessor made. Different repositories never share a queue.
 */
@Injectable()
export class RepositoryWriteLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(repositoryId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(repositoryId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(repositoryId, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      // The last writer in the queue removes it, so idle repositories cost no memory.
      if (this.tails.get(repositoryId) === tail) this.tails.delete(repositoryId);
    }
  }
}
