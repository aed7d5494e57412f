/**
 * Collects what arrives asynchronously (deliveries, announcements, connection events) and
 * lets a test wait until a condition holds, with a timeout as a guard rather than a sleep.
 *
 * @example
 * const inbox = new Inbox<Delivery>();
 * transport.onRoute('billing', inbox.push);
 * await inbox.until(2);
 */
export class Inbox<T> {
  readonly items: T[] = [];
  #waiters: { test: (items: readonly T[]) => boolean; resolve: () => void }[] = [];

  readonly push = (item: T): void => {
    this.items.push(item);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.test(this.items)) return true;
      waiter.resolve();
      return false;
    });
  };

  /** Resolves with every item once at least `count` have arrived. */
  async until(count: number, timeoutMs = 5000): Promise<T[]> {
    await this.when((items) => items.length >= count, `${count} items`, timeoutMs);
    return this.items;
  }

  /** Resolves once `test` holds for the items received so far. */
  when(test: (items: readonly T[]) => boolean, what: string, timeoutMs = 5000): Promise<void> {
    if (test(this.items)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`waited ${timeoutMs} ms for ${what}; got ${this.items.length} items: ${JSON.stringify(this.items).slice(0, 500)}`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }
}
