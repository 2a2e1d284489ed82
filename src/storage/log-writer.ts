/**
 * The per-partition write queue: appends are assigned offsets synchronously by the log, then
 * queued here; the pump writes every queued append for the same segment with one writev (group
 * commit) and, when the flush policy asks, one fdatasync for the whole group. Tasks (a flush, a
 * rolled segment's sealing) run in queue order between groups.
 */
import { assert } from '../util/assert.js';
import { writeFully } from './file.js';
import { WRITE_GROUP_BUFFERS_MAX, WRITE_GROUP_BYTES_MAX } from './limits.js';
import type { LogSegment, SegmentMark } from './segment.js';

export interface PendingAppend {
  kind: 'append';
  segment: LogSegment;
  buffers: Buffer[];
  bytes: number;
  records: number;
  /** The first offset of the append and the one after its last. */
  baseOffset: number;
  endOffset: number;
  /** The segment's state before the append, to undo it if the write fails. */
  mark: SegmentMark;
  settled: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

interface PendingTask {
  kind: 'task';
  run(): Promise<void>;
  /** A background task is started in order but not awaited: later groups need not wait. */
  background: boolean;
  resolve(): void;
  reject(err: unknown): void;
}

type Entry = PendingAppend | PendingTask;

/** What the log does at each step of a group's life. */
export interface WriterHost {
  /** The group's bytes are in the file. */
  written(group: PendingAppend[]): void;
  /** Whether the flush policy wants an fdatasync now. */
  wantsFlush(): boolean;
  /** fdatasync every file written since the last sync. */
  syncAll(): Promise<void>;
  /** The group is durable per policy; its appends are about to be acknowledged. */
  committed(group: PendingAppend[]): void;
  /**
   * Writing (or syncing) `group` failed: undo it and everything queued after it (`rest`) in
   * memory, in this turn, and return the error to reject them with.
   */
  undo(group: PendingAppend[], rest: PendingAppend[], err: unknown, during: 'write' | 'sync'): Error;
  /** After `undo`: remove from the file whatever the failed group left there. Never throws. */
  repair(group: PendingAppend[]): Promise<void>;
  /** A bug broke the pump (a failed assertion): every queued entry has been rejected. */
  broken(err: unknown): void;
}

export interface WriterStats {
  /** writev calls (one per group). */
  writes: number;
  bytesWritten: number;
}

export class LogWriter {
  private queue: Entry[] = [];
  /** The group being written: out of the queue, not yet settled. */
  private inFlight: PendingAppend[] = [];
  private pumping = false;
  private readonly background = new Set<Promise<void>>();
  private idleWaiters: Array<() => void> = [];
  readonly stats: WriterStats = { writes: 0, bytesWritten: 0 };

  constructor(private readonly host: WriterHost) {}

  get queuedAppends(): number {
    let n = 0;
    for (const e of this.queue) if (e.kind === 'append') n++;
    return n;
  }

  enqueueAppend(a: Omit<PendingAppend, 'kind' | 'settled' | 'resolve' | 'reject'>): Promise<void> {
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const settled = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.queue.push({ kind: 'append', ...a, settled, resolve, reject });
    this.kick();
    return settled;
  }

  enqueueTask(run: () => Promise<void>, opts: { background?: boolean } = {}): Promise<void> {
    const p = new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'task', run, background: opts.background ?? false, resolve, reject });
    });
    this.kick();
    return p;
  }

  /** Settles (never rejects) once the queued append that covers `offset - 1` has settled. */
  async waitFor(offset: number): Promise<void> {
    const pending = [...this.inFlight, ...this.queue].filter((e): e is PendingAppend => e.kind === 'append');
    const target = pending.find((a) => a.endOffset >= offset) ?? pending[pending.length - 1];
    if (target !== undefined) await target.settled.catch(() => undefined);
  }

  /** Settles when the queue is empty and background tasks have finished. */
  async idle(): Promise<void> {
    while (this.pumping || this.queue.length > 0 || this.background.size > 0) {
      if (this.pumping || this.queue.length > 0) {
        await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      } else {
        await Promise.allSettled([...this.background]);
      }
    }
  }

  private kick(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    try {
      await this.drain();
    } catch (err) {
      // Only a bug gets here; nothing may wait forever because of it.
      const stranded = [...this.inFlight, ...this.queue];
      this.inFlight = [];
      this.queue = [];
      for (const e of stranded) e.reject(err);
      this.host.broken(err);
    } finally {
      this.pumping = false;
      // An entry queued while the last one was settling found the pump still running.
      if (this.queue.length > 0) {
        this.kick();
      } else {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.kind === 'task') {
        this.queue.shift();
        await this.runTask(head);
      } else {
        this.inFlight = this.takeGroup();
        await this.writeGroup(this.inFlight);
        this.inFlight = [];
      }
    }
  }

  private async runTask(task: PendingTask): Promise<void> {
    const p = task.run().then(task.resolve, task.reject);
    if (!task.background) return p;
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  /** Consecutive appends to the same segment, within the group limits. */
  private takeGroup(): PendingAppend[] {
    const first = this.queue[0] as PendingAppend;
    let n = 0;
    let bytes = 0;
    let buffers = 0;
    while (n < this.queue.length) {
      const e = this.queue[n]!;
      if (e.kind !== 'append' || e.segment !== first.segment) break;
      if (n > 0 && (bytes + e.bytes > WRITE_GROUP_BYTES_MAX || buffers + e.buffers.length > WRITE_GROUP_BUFFERS_MAX)) break;
      bytes += e.bytes;
      buffers += e.buffers.length;
      n++;
    }
    return this.queue.splice(0, n) as PendingAppend[];
  }

  private async writeGroup(group: PendingAppend[]): Promise<void> {
    const seg = group[0]!.segment;
    const buffers = group.flatMap((a) => a.buffers);
    const bytes = group.reduce((n, a) => n + a.bytes, 0);
    // The bytes must land exactly where the offsets were assigned.
    assert(seg.writtenBytes === group[0]!.mark.size, `write at ${seg.writtenBytes} but the append was placed at ${group[0]!.mark.size}`);
    try {
      await writeFully(await seg.handle(), buffers, seg.writtenBytes);
    } catch (err) {
      await this.fail(group, err, 'write');
      return;
    }
    seg.writtenBytes += bytes;
    seg.unsynced = true;
    this.stats.writes++;
    this.stats.bytesWritten += bytes;
    this.host.written(group);
    if (this.host.wantsFlush()) {
      try {
        await this.host.syncAll();
      } catch (err) {
        await this.fail(group, err, 'sync');
        return;
      }
    }
    this.host.committed(group);
    for (const a of group) a.resolve();
  }

  private async fail(group: PendingAppend[], err: unknown, during: 'write' | 'sync'): Promise<void> {
    const queued = this.queue;
    this.queue = [];
    const rest = queued.filter((e): e is PendingAppend => e.kind === 'append');
    const error = this.host.undo(group, rest, err, during);
    for (const a of group) a.reject(error);
    for (const e of queued) e.reject(error);
    // Later appends queue up behind the repair, so none is written over the remains.
    await this.host.repair(group);
  }
}
