/** A queue with O(1) operations at both ends; a plain array's shift() is O(n) on a long backlog. */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  pushBack(item: T): void {
    this.items.push(item);
  }

  /** Puts an item where it is taken next (redeliveries go before newer work). */
  pushFront(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    // Reclaim the consumed prefix once it outweighs the live part, keeping memory proportional to the backlog.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
