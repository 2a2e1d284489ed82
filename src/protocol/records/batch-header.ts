/**
 * Byte positions inside a record batch v2 header (61 bytes), as Kafka lays it out. The broker
 * reads and patches these fields in place and never decodes the records on the hot path.
 */
import { writeInt64Number } from '../writer.js';

export const BASE_OFFSET = 0; // int64
export const BATCH_LENGTH = 8; // int32: bytes after this field
export const PARTITION_LEADER_EPOCH = 12; // int32
export const MAGIC = 16; // int8, 2
export const CRC = 17; // uint32, CRC-32C of ATTRIBUTES..end
export const ATTRIBUTES = 21; // int16
export const LAST_OFFSET_DELTA = 23; // int32
export const BASE_TIMESTAMP = 27; // int64
export const MAX_TIMESTAMP = 35; // int64
export const PRODUCER_ID = 43; // int64
export const PRODUCER_EPOCH = 51; // int16
export const BASE_SEQUENCE = 53; // int32
export const RECORDS_COUNT = 57; // int32
export const BATCH_HEADER_BYTES = 61;
/** Bytes before and including the length field: a batch occupies LOG_OVERHEAD + length bytes. */
export const LOG_OVERHEAD = 12;

export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_BIT = 0x08;
export const TRANSACTIONAL_BIT = 0x10;
export const CONTROL_BIT = 0x20;
export const DELETE_HORIZON_BIT = 0x40;

export const enum Compression {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

/** An INT64 as a number: exact within ±2^53, beyond it the nearest double (as `Reader.int64`). */
export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4);
}

/** The inverse of `readInt64`: a timestamp of 2^63−1 read as 2^63 is written back as 2^63−1. */
export const writeInt64 = writeInt64Number;

export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

/** Reads the header of the batch starting at `at`; the caller has checked 61 bytes are there. */
export function readBatchHeader(buf: Buffer, at = 0): BatchHeader {
  return {
    baseOffset: readInt64(buf, at + BASE_OFFSET),
    batchLength: buf.readInt32BE(at + BATCH_LENGTH),
    partitionLeaderEpoch: buf.readInt32BE(at + PARTITION_LEADER_EPOCH),
    magic: buf.readInt8(at + MAGIC),
    crc: buf.readUInt32BE(at + CRC),
    attributes: buf.readInt16BE(at + ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(at + LAST_OFFSET_DELTA),
    baseTimestamp: readInt64(buf, at + BASE_TIMESTAMP),
    maxTimestamp: readInt64(buf, at + MAX_TIMESTAMP),
    producerId: readInt64(buf, at + PRODUCER_ID),
    producerEpoch: buf.readInt16BE(at + PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(at + BASE_SEQUENCE),
    recordsCount: buf.readInt32BE(at + RECORDS_COUNT),
  };
}
