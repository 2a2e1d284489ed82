/**
 * Request header v0–v2 and response header v0–v1. A flexible API version uses request header v2
 * and response header v1, except ApiVersions, whose response always uses header v0 so a client
 * can read it before it knows what the broker speaks.
 */
import { Reader } from './reader.js';
import { Writer } from './writer.js';

export const API_VERSIONS_KEY = 18;

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Reads a request header; `flexible` says whether a tagged-field section follows (v2). */
export function decodeRequestHeader(r: Reader, flexible: (apiKey: number, version: number) => boolean): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString(); // INT16 length even in header v2
  if (flexible(apiKey, apiVersion)) skipTaggedFields(r);
  return { apiKey, apiVersion, correlationId, clientId };
}

export function encodeRequestHeader(w: Writer, h: RequestHeader, flexible: boolean): void {
  w.int16(h.apiKey).int16(h.apiVersion).int32(h.correlationId).nullableString(h.clientId);
  if (flexible) w.uvarint(0);
}

export function encodeResponseHeader(w: Writer, correlationId: number, apiKey: number, flexible: boolean): void {
  w.int32(correlationId);
  if (flexible && apiKey !== API_VERSIONS_KEY) w.uvarint(0);
}

export function decodeResponseHeader(r: Reader, apiKey: number, flexible: boolean): number {
  const correlationId = r.int32();
  if (flexible && apiKey !== API_VERSIONS_KEY) skipTaggedFields(r);
  return correlationId;
}

export function skipTaggedFields(r: Reader): void {
  const n = r.arrayLength(r.uvarint(), 2);
  for (let i = 0; i < n; i++) {
    r.uvarint();
    r.raw(r.uvarint());
  }
}
