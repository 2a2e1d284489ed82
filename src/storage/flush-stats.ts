/**
 * Kafka's LogFlushStats: how long each fdatasync round of a partition log took, for every log
 * of the process (one broker per process when served; an in-process cluster's brokers share it).
 */
import { BucketHistogram } from '../util/histogram.js';

export const LOG_FLUSH_TIMES_MS = new BucketHistogram();
