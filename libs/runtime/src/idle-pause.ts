/**
 * The pause `WorkLoop` takes when a pass found nothing to do: a timer that `cutShort` ends at once, when new work arrives or the service
 * stops, so that the loop neither spins nor sleeps through work.
 */
export class IdlePause {
  private wake?: () => void;

  /** Resolves after `ms`, or as soon as `cutShort` is called. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Ends the pause in progress, if any. */
  cutShort(): void {
    this.wake?.();
  }
}
