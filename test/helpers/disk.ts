/** Test doubles for the disk seam (`src/storage/file.ts`). */
import type { LogFile } from '../../src/storage/file.js';

/** A LogFile that forwards every call to `file`: spread it and replace the calls under test. */
export function forwarding(file: LogFile): LogFile {
  return {
    read: (b, o, l, p) => file.read(b, o, l, p),
    writev: (buffers, position) => file.writev(buffers, position),
    datasync: () => file.datasync(),
    truncate: (n) => file.truncate(n),
    stat: () => file.stat(),
    close: () => file.close(),
  };
}
