/**
 * Lag over time per consumer group, for the group page's chart: a sample each time the lag is
 * read (the page polls it), at most two a second, the last LAG_SAMPLES_MAX kept, for at most
 * LAG_GROUPS_MAX groups (the least recently read forgotten first).
 */

/** Five minutes at one sample a second. */
export const LAG_SAMPLES_MAX = 300;
/** Enough for every group an operator watches; a bound so that a script listing groups cannot grow it. */
export const LAG_GROUPS_MAX = 200;
const SAMPLE_INTERVAL_MS = 500;

export interface LagSample {
  t: number;
  total: number;
  /** Lag by "topic-partition". */
  lags: Record<string, number>;
}

export class LagHistory {
  private readonly groups = new Map<string, LagSample[]>();

  record(groupId: string, sample: LagSample): LagSample[] {
    let samples = this.groups.get(groupId);
    if (samples === undefined) {
      if (this.groups.size >= LAG_GROUPS_MAX) this.groups.delete(this.groups.keys().next().value!);
      samples = [];
    }
    // Re-inserted so that the map's order is least recently read first.
    this.groups.delete(groupId);
    this.groups.set(groupId, samples);
    const last = samples.at(-1);
    if (last !== undefined && sample.t - last.t < SAMPLE_INTERVAL_MS) samples[samples.length - 1] = sample;
    else samples.push(sample);
    if (samples.length > LAG_SAMPLES_MAX) samples.splice(0, samples.length - LAG_SAMPLES_MAX);
    return samples;
  }
}
