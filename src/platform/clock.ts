/** Wall-clock and monotonic time, injected so tests can move time without sleeping. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `fn` after `ms` of this clock's time; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly id: number;
}

let nextTimerId = 1;

/** The real clock: `Date.now()` and Node's timers (unref'd so they never hold the process). */
export class SystemClock implements Clock {
  private readonly timers = new Map<number, NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = nextTimerId++;
    const t = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, ms);
    t.unref();
    this.timers.set(id, t);
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    const t = this.timers.get(handle.id);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(handle.id);
  }
}

/**
 * A clock that moves only when told to, but still lets real time pass for timers so that a
 * broker under test keeps working: `advance(ms)` jumps the wall clock forward and fires every
 * timer that falls due.
 */
export class ManualClock implements Clock {
  private offsetMs = 0;
  private readonly timers = new Map<number, { due: number; fn: () => void; t: NodeJS.Timeout }>();

  now(): number {
    return Date.now() + this.offsetMs;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = nextTimerId++;
    const t = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, ms);
    t.unref();
    this.timers.set(id, { due: this.now() + ms, fn, t });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    const entry = this.timers.get(handle.id);
    if (entry !== undefined) clearTimeout(entry.t);
    this.timers.delete(handle.id);
  }

  /** Moves time forward by `ms` and runs every timer now due, earliest first. */
  advance(ms: number): void {
    this.offsetMs += ms;
    const now = this.now();
    const due = [...this.timers.entries()].filter(([, e]) => e.due <= now).sort((a, b) => a[1].due - b[1].due);
    for (const [id, e] of due) {
      clearTimeout(e.t);
      this.timers.delete(id);
      e.fn();
    }
  }
}
