import { Injectable } from '@nestjs/common';

/**
 * Keeps orphan cleanup from deleting a unit between the moment a writer checked that the catalog has it
 * and the moment the writer's version (or catalog record) is readable in the index. Writers hold the gate
 * shared and never wait for each other; a cleanup batch holds it exclusively. A waiting cleanup lets no new
 * writer in, so a steady stream of writes cannot starve it. Not reentrant: code holding the gate must not
 * take it again, or it would wait behind a cleanup that waits for it.
 */
@Injectable()
export class ContentWriteGate {
  private writers = 0;
  private cleaning = false;
  private readonly queue: { exclusive: boolean; admit: () => void }[] = [];

  shared<T>(work: () => Promise<T>): Promise<T> {
    return this.hold(false, work);
  }

  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.hold(true, work);
  }

  private async hold<T>(exclusive: boolean, work: () => Promise<T>): Promise<T> {
    await this.enter(exclusive);
    try {
      return await work();
    } finally {
      if (exclusive) this.cleaning = false;
      else this.writers--;
      this.admitWaiting();
    }
  }

  private enter(exclusive: boolean): Promise<void> {
    if (this.queue.length === 0 && this.canEnter(exclusive)) {
      this.take(exclusive);
      return Promise.resolve();
    }
    return new Promise((admit) => this.queue.push({ exclusive, admit }));
  }

  private canEnter(exclusive: boolean): boolean {
    return !this.cleaning && (!exclusive || this.writers === 0);
  }

  private take(exclusive: boolean): void {
    if (exclusive) this.cleaning = true;
    else this.writers++;
  }

  private admitWaiting(): void {
    while (this.queue.length > 0 && this.canEnter(this.queue[0]!.exclusive)) {
      const next = this.queue.shift()!;
      this.take(next.exclusive);
      next.admit();
    }
  }
}
