/** Thrown when an invariant does not hold: a programmer error, never an operating one. */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

/** Assertions stay on in production: they check arguments, results and invariants. */
export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(message);
}
