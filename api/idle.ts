// The inactivity timer of `system service`: requests in progress and hijacked
// or streaming connections are activity; idle keep-alive connections are not.
// When nothing was active for `seconds`, onIdle runs (0 = never).

export class IdleTracker {
  private active = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly seconds: number,
    private readonly onIdle: () => void,
  ) {
    this.arm();
  }

  private arm(): void {
    if (this.seconds <= 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.active === 0) this.onIdle();
    }, this.seconds * 1000);
  }

  /** Something started; the returned function ends it (idempotent). */
  begin(): () => void {
    this.active++;
    clearTimeout(this.timer);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active--;
      if (this.active === 0) this.arm();
    };
  }

  get activeCount(): number {
    return this.active;
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
