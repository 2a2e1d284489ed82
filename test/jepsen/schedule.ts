/**
 * A fault schedule derived from a seed alone: the same seed gives the same faults in the same
 * order, whatever the machine's speed. Time never decides anything: a fault is applied, the run
 * waits until the cluster has noticed it (the broker out of an ISR), holds it `holdMs` more, heals
 * it, and waits until every ISR is full again before the next step; `quietMs` of fault-free load
 * follows.
 */
import { seededRandom, randomInt } from '../helpers/random.js';

export type FaultKind = 'kill' | 'pause' | 'partition';
export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'pause', 'partition'];

export interface Fault {
  step: number;
  /** kill: SIGKILL, then start again; pause: SIGSTOP, then SIGCONT; partition: its link cut, then healed. */
  kind: FaultKind;
  broker: number;
  /** How long the fault is held once the cluster has noticed it. */
  holdMs: number;
  /** Fault-free load after the cluster has healed, before the next step. */
  quietMs: number;
}

export interface ScheduleOptions {
  seed: number;
  /** How many faults. */
  count: number;
  brokers: readonly number[];
  /** The brokers that can be cut off the network (those in a namespace of their own). */
  partitionable: readonly number[];
  /** The kinds to draw from; those impossible here (partition with no partitionable broker) are left out. */
  kinds?: readonly FaultKind[];
  /** The first faults cover every kind once, in a seeded order, before draws are free. */
  coverKinds?: boolean;
  holdMs?: { min: number; max: number };
  quietMs?: { min: number; max: number };
}

export function generateSchedule(o: ScheduleOptions): Fault[] {
  const rand = seededRandom(o.seed);
  const kinds = (o.kinds ?? FAULT_KINDS).filter((k) => k !== 'partition' || o.partitionable.length > 0);
  if (kinds.length === 0) throw new Error('no fault kind can be injected here');
  const hold = o.holdMs ?? { min: 1000, max: 6000 };
  const quiet = o.quietMs ?? { min: 500, max: 3000 };
  const cover = o.coverKinds === true ? shuffle(rand, [...kinds]) : [];
  const faults: Fault[] = [];
  for (let step = 0; step < o.count; step++) {
    const kind = cover[step] ?? kinds[randomInt(rand, 0, kinds.length - 1)]!;
    const among = kind === 'partition' ? o.partitionable : o.brokers;
    faults.push({
      step,
      kind,
      broker: among[randomInt(rand, 0, among.length - 1)]!,
      holdMs: randomInt(rand, hold.min, hold.max),
      quietMs: randomInt(rand, quiet.min, quiet.max),
    });
  }
  return faults;
}

function shuffle<T>(rand: () => number, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = randomInt(rand, 0, i);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

export function describeFault(f: Fault): string {
  const what = f.kind === 'kill' ? 'SIGKILL, restart' : f.kind === 'pause' ? 'SIGSTOP, SIGCONT' : 'link cut, healed';
  return `step ${f.step}: ${f.kind} broker ${f.broker} (${what}; held ${f.holdMs} ms, then ${f.quietMs} ms quiet)`;
}
