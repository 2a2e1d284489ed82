/**
 * The disk seam: the few FileHandle calls the log makes, behind an interface so that tests can
 * inject faults (ENOSPC, EIO, short writes) without a full disk.
 */
import { readSync } from 'node:fs';
import { open, rename, writeFile } from 'node:fs/promises';

export interface LogFile {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  writev(buffers: Buffer[], position: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

/** 'r+' opens an existing segment; 'w+' creates (or empties) a new one. */
export type OpenLogFile = (path: string, flags: 'r' | 'r+' | 'w+') => Promise<LogFile>;

export const openLogFile: OpenLogFile = (path, flags) => open(path, flags);

/** Reads `length` bytes at `position`, fewer only when the file ends first. */
export async function readFully(file: LogFile, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** `readFully` with blocking calls on a file descriptor (start-up, see small-files.ts). */
export function readFullySync(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const bytesRead = readSync(fd, buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/**
 * Writes all of `buffers` at `position`. libuv reports a failure after partial progress as a
 * short count, so the rest is retried and a write that makes no progress is an error.
 */
export async function writeFully(file: LogFile, buffers: Buffer[], position: number): Promise<void> {
  let pending = buffers;
  let at = position;
  let remaining = buffers.reduce((n, b) => n + b.length, 0);
  while (remaining > 0) {
    const { bytesWritten } = await file.writev(pending, at);
    if (bytesWritten <= 0) throw Object.assign(new Error(`short write at position ${at}: no progress`), { code: 'EIO' });
    remaining -= bytesWritten;
    at += bytesWritten;
    pending = dropBytes(pending, bytesWritten);
  }
}

function dropBytes(buffers: Buffer[], n: number): Buffer[] {
  let skip = n;
  let i = 0;
  while (i < buffers.length && skip >= buffers[i]!.length) skip -= buffers[i++]!.length;
  const rest = buffers.slice(i);
  if (skip > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(skip);
  return rest;
}

/** Replaces `path` with `data` through a synced temporary file, so a crash leaves old or new. */
export async function writeFileAtomic(path: string, data: Buffer | string): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, data, { flush: true });
  await rename(tmp, path);
}

/** fsyncs a directory so that files created or renamed in it survive a crash. */
export async function syncDir(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
