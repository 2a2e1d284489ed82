/**
 * Serdes with Kafka's byte formats: what Kafka's StringSerializer, LongSerializer, … write, these
 * write, so a Java application and a Samsa one read each other's topics. A null stays null in
 * both directions, as in Kafka (a null value is a tombstone, not an empty payload).
 */

/** A record header, as Kafka's `Header`: a key and bytes (which may be null). */
export interface Header {
  readonly key: string;
  readonly value: Buffer | null;
}

export interface Serializer<T> {
  serialize(topic: string, data: T | null, headers?: Header[]): Buffer | null;
}

export interface Deserializer<T> {
  deserialize(topic: string, data: Buffer | null, headers?: Header[]): T | null;
}

/** Both directions; a serde is also usable where only a serializer or a deserializer is asked. */
export interface Serde<T> extends Serializer<T>, Deserializer<T> {
  serializer(): Serializer<T>;
  deserializer(): Deserializer<T>;
}

/** Kafka's SerializationException: bytes that do not fit the serde, or a value it cannot write. */
export class SerializationError extends Error {
  override name = 'SerializationError';
}

function serdeFrom<T>(serialize: (data: T) => Buffer, deserialize: (data: Buffer, topic: string) => T): Serde<T> {
  const serde: Serde<T> = {
    serialize: (_topic, data) => (data === null || data === undefined ? null : serialize(data)),
    deserialize: (topic, data) => (data === null || data === undefined ? null : deserialize(data, topic)),
    serializer: () => serde,
    deserializer: () => serde,
  };
  return serde;
}

/** A fixed-width number in big-endian order, as Java's DataOutput writes it. */
function fixedWidth<T>(kind: string, sizeBytes: number, write: (b: Buffer, v: T) => void, read: (b: Buffer) => T): Serde<T> {
  return serdeFrom<T>(
    (v) => {
      const b = Buffer.alloc(sizeBytes);
      write(b, v);
      return b;
    },
    (data) => {
      if (data.length !== sizeBytes) {
        throw new SerializationError(`Size of data received by ${kind}Deserializer is not ${sizeBytes}`);
      }
      return read(data);
    },
  );
}

function checkedInteger(kind: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new SerializationError(`${kind}Serializer cannot write ${v}`);
  return v;
}

const stringSerde = serdeFrom<string>((s) => Buffer.from(s, 'utf8'), (b) => b.toString('utf8'));

/**
 * Kafka's Long as a JavaScript number: 8 bytes big-endian, exact within ±2^53 (counts, sums and
 * timestamps fit); a stored value beyond that is an error rather than a silently rounded number.
 */
const longSerde = fixedWidth<number>(
  'Long',
  8,
  (b, v) => b.writeBigInt64BE(BigInt(checkedInteger('Long', v, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER))),
  (b) => {
    const n = b.readBigInt64BE(0);
    if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new SerializationError(`LongDeserializer read ${n}, beyond a number's exact range; use Serdes.LongBigInt()`);
    }
    return Number(n);
  },
);
const longBigIntSerde = fixedWidth<bigint>('Long', 8, (b, v) => b.writeBigInt64BE(BigInt.asIntN(64, v)), (b) => b.readBigInt64BE(0));
const integerSerde = fixedWidth<number>('Integer', 4, (b, v) => b.writeInt32BE(checkedInteger('Integer', v, -(2 ** 31), 2 ** 31 - 1)), (b) => b.readInt32BE(0));
const shortSerde = fixedWidth<number>('Short', 2, (b, v) => b.writeInt16BE(checkedInteger('Short', v, -(2 ** 15), 2 ** 15 - 1)), (b) => b.readInt16BE(0));
const doubleSerde = fixedWidth<number>('Double', 8, (b, v) => b.writeDoubleBE(v), (b) => b.readDoubleBE(0));
const floatSerde = fixedWidth<number>('Float', 4, (b, v) => b.writeFloatBE(v), (b) => b.readFloatBE(0));
const bytesSerde = serdeFrom<Buffer>((b) => b, (b) => b);
const jsonSerde = serdeFrom<unknown>(
  (v) => Buffer.from(JSON.stringify(v), 'utf8'),
  (b, topic) => {
    try {
      return JSON.parse(b.toString('utf8')) as unknown;
    } catch (e) {
      throw new SerializationError(`a record of ${topic} is not JSON: ${(e as Error).message}`);
    }
  },
);
const voidSerde: Serde<null> = {
  serialize: () => null,
  deserialize: (_topic, data) => {
    if (data !== null && data !== undefined) throw new SerializationError('Data should be null for a VoidDeserializer.');
    return null;
  },
  serializer: () => voidSerde,
  deserializer: () => voidSerde,
};

/** Kafka's `Serdes` factory, with its names. */
export const Serdes = {
  String: (): Serde<string> => stringSerde,
  /** 8-byte big-endian, as Kafka's LongSerializer, as a number (exact within ±2^53). */
  Long: (): Serde<number> => longSerde,
  /** 8-byte big-endian, as Kafka's LongSerializer, as a bigint (every 64-bit value exact). */
  LongBigInt: (): Serde<bigint> => longBigIntSerde,
  Integer: (): Serde<number> => integerSerde,
  Short: (): Serde<number> => shortSerde,
  Double: (): Serde<number> => doubleSerde,
  Float: (): Serde<number> => floatSerde,
  /** Kafka's ByteArray and Bytes serdes: the bytes as they are. */
  ByteArray: (): Serde<Buffer> => bytesSerde,
  Bytes: (): Serde<Buffer> => bytesSerde,
  Void: (): Serde<null> => voidSerde,
  /** UTF-8 JSON text; the type is the caller's promise, not checked. */
  Json: <T = unknown>(): Serde<T> => jsonSerde as Serde<T>,
  /** A user-provided serde from a serializer and a deserializer (Kafka's `Serdes.serdeFrom`). */
  serdeFrom<T>(serializer: Serializer<T>, deserializer: Deserializer<T>): Serde<T> {
    const serde: Serde<T> = {
      serialize: (topic, data, headers) => serializer.serialize(topic, data, headers),
      deserialize: (topic, data, headers) => deserializer.deserialize(topic, data, headers),
      serializer: () => serializer,
      deserializer: () => deserializer,
    };
    return serde;
  },
};
