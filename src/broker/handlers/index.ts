/** Every API this broker serves, by key. ApiVersions advertises exactly this list. */
import type { Handler } from '../handler.js';
import { produceHandler } from './00-produce.js';
import { fetchHandler } from './01-fetch.js';
import { listOffsetsHandler } from './02-list-offsets.js';
import { metadataHandler } from './03-metadata.js';
import { apiVersionsHandler } from './18-api-versions.js';
import { createTopicsHandler } from './19-create-topics.js';
import { deleteTopicsHandler } from './20-delete-topics.js';

export function buildHandlers(): Map<number, Handler> {
  const handlers = new Map<number, Handler>();
  const add = (h: Handler) => handlers.set(h.apiKey, h);
  add(produceHandler);
  add(fetchHandler);
  add(listOffsetsHandler);
  add(metadataHandler);
  add(apiVersionsHandler(() => handlers.values()));
  add(createTopicsHandler);
  add(deleteTopicsHandler);
  return handlers;
}
