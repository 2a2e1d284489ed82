/** What a route answers: a page, JSON, a redirect after a change, or an HTTP error with its sentence. */
import type { Html } from './html.js';
import type { Flash } from './layout.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A redirect after a POST, with the line to show on the page it leads to. */
export class Redirect {
  constructor(
    readonly location: string,
    readonly flash: Flash | null = null,
  ) {}
}

export type RouteResult = Html | Redirect | { json: unknown };
