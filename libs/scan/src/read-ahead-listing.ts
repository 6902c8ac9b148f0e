/**
 * A component listing read ahead of the scan: while the scan commits one page, the next pages
 * are already fetched and prepared (their look-ups in the other component, their run ids
 * checked against the known runs), so the component's time, the scanner's and the database's
 * overlap instead of adding up. At most `depth` pages wait beyond the one being handed out.
 *
 * A listing's next cursor is only known once a page arrives, so pages are fetched one after
 * another; their preparation runs as soon as each arrives. A page read ahead is used only if
 * the scan asks for exactly that cursor next (after a restart or a refused cursor it asks for
 * another, and the read ahead is dropped). A failure, in the fetch or the preparation, is not
 * reported on its own: it surfaces when that page is asked for, in the scan's own retry and
 * outage handling, and the retry starts afresh.
 */
import type { Page } from '@bridge/components';

/** A page of a listing with what was prepared from its items. */
export interface PreparedPage<T, P> {
  page: Page<T>;
  prepared: P;
}

interface Ahead<T, P> {
  cursor: string | null;
  ready: Promise<PreparedPage<T, P>>;
  /** The page's next cursor once it arrived (null: the listing's end). */
  next?: string | null;
}

export class ReadAheadListing<T, P> {
  /** Pages begun after the one handed out last, in listing order. */
  private ahead: Array<Ahead<T, P>> = [];
  /** The page begun last: the read ahead continues from its cursor. */
  private tail: Ahead<T, P> | null = null;

  constructor(
    private readonly fetchPage: (after: string | null) => Promise<Page<T>>,
    private readonly prepare: (items: T[]) => Promise<P>,
    private readonly depth = 2,
  ) {}

  /** The page after `cursor`, prepared; the pages after it are read ahead meanwhile. */
  async read(cursor: string | null): Promise<PreparedPage<T, P>> {
    let next = this.ahead.shift();
    if (next === undefined || next.cursor !== cursor) {
      this.ahead = [];
      next = this.begin(cursor);
    }
    this.readAhead();
    try {
      return await next.ready;
    } catch (error) {
      this.ahead = [];
      this.tail = null;
      throw error;
    }
  }

  private begin(cursor: string | null): Ahead<T, P> {
    const fetched = this.fetchPage(cursor);
    const entry: Ahead<T, P> = {
      cursor,
      ready: fetched.then(async (page) => ({ page, prepared: await this.prepare(page.items) })),
    };
    // Observed here so that an abandoned read ahead is no unhandled rejection; whoever asks
    // for this page still gets the failure.
    entry.ready.catch(() => undefined);
    fetched.then(
      (page) => {
        entry.next = page.next_cursor;
        if (entry === this.tail) this.readAhead();
      },
      () => undefined,
    );
    this.tail = entry;
    return entry;
  }

  /** Begins the page after the tail once its cursor is known, while fewer than `depth` wait. */
  private readAhead(): void {
    const tail = this.tail;
    if (tail === null || typeof tail.next !== 'string' || this.ahead.length >= this.depth) return;
    this.ahead.push(this.begin(tail.next));
  }
}
