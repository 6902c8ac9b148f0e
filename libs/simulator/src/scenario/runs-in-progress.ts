/**
 * The simulator's pipeline runs that are still RUNNING, each with the time it completes: one
 * timer for all of them (the next one due), so ten thousand resubmissions cost ten thousand
 * entries, not ten thousand timers. Completion order is due order; ties keep submission order.
 */
export class RunsInProgress<T> {
  /** Sorted by `due`; a run submitted later with the same duration goes after the others. */
  private queue: Array<{ item: T; due: number }> = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly complete: (item: T) => unknown,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.queue.length;
  }

  add(item: T, due: number): void {
    let index = this.queue.length;
    while (index > 0 && this.queue[index - 1].due > due) index -= 1;
    this.queue.splice(index, 0, { item, due });
    if (index === 0) this.schedule();
  }

  /** Forgets every run in progress (the simulator stops or resets): none of them completes. */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    this.timer = setTimeout(() => this.completeDue(), Math.max(0, this.queue[0].due - this.now()));
    this.timer.unref();
  }

  private completeDue(): void {
    const now = this.now();
    let count = 0;
    while (count < this.queue.length && this.queue[count].due <= now) count += 1;
    for (const { item } of this.queue.splice(0, count)) this.complete(item);
    this.schedule();
  }
}
