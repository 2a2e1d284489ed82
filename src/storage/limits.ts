/**
 * Every fixed limit of the storage layer, with why it is that number. Topic-level settings that
 * operators tune live in config.ts instead.
 */

/**
 * Header scans (finding where a fetch starts, the log end of a segment) read this much at a
 * time: twice the default index interval, so the batch an index entry points near is usually
 * found in one read, while a scan over large batches wastes little per header.
 */
export const SCAN_BLOCK_BYTES = 8 * 1024;

/**
 * Recovery checks every CRC of the segments it scans; reading 1 MiB at a time keeps that to a
 * few syscalls per megabyte without holding much memory per partition being recovered.
 */
export const RECOVERY_READ_BYTES = 1024 * 1024;

/**
 * One group commit writes at most this many bytes: enough to coalesce thousands of small
 * appends into one syscall, small enough that the first append of a burst is not kept waiting
 * behind a huge write.
 */
export const WRITE_GROUP_BYTES_MAX = 16 * 1024 * 1024;

/** One group commit passes at most this many buffers to writev: Linux's IOV_MAX. */
export const WRITE_GROUP_BUFFERS_MAX = 1024;

/**
 * Node's timers overflow above 2^31 - 1 ms (they then fire after 1 ms), so intervals longer
 * than this (Kafka's "Long.MAX_VALUE means never") are treated as never.
 */
export const TIMER_DELAY_MS_MAX = 2 ** 31 - 1;

/** Offsets inside a segment are stored as int32 deltas from its base offset. */
export const RELATIVE_OFFSET_MAX = 2 ** 31 - 1;

/** File positions inside a segment are int32 in the offset index. */
export const SEGMENT_POSITION_MAX = 2 ** 31 - 1;

/**
 * Partitions opened at once at start-up: enough to keep a disk busy, few enough to bound open
 * files and recovery buffers when thousands of partitions load.
 */
export const LOG_OPEN_CONCURRENCY = 16;

/** An in-memory index starts with room for this many entries and doubles as it grows. */
export const INDEX_ENTRIES_INITIAL = 64;
