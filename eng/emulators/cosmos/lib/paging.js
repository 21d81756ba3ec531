"use strict";
// Offset-based continuation over a stable ordering (document creation order), which is enough for
// the SDK to page: it treats the server's token as opaque and sends it back in x-ms-continuation.

const PREFIX = "+ECO:";

class ContinuationError extends Error {}

function encodeContinuation(offset) {
  return JSON.stringify({ token: `${PREFIX}${offset}`, range: { min: "", max: "FF" } });
}

/** Offset carried by an x-ms-continuation header (0 when absent). */
function decodeContinuation(header) {
  if (header === undefined || header === null || header === "") return 0;
  let token = header;
  try {
    const parsed = JSON.parse(header);
    token = typeof parsed === "string" ? parsed : parsed && parsed.token;
  } catch {
    // Not JSON: the raw token itself.
  }
  if (typeof token !== "string" || !token.startsWith(PREFIX)) {
    throw new ContinuationError(`invalid continuation token: ${header}`);
  }
  const offset = Number(token.slice(PREFIX.length));
  if (!Number.isInteger(offset) || offset < 0) throw new ContinuationError(`invalid continuation token: ${header}`);
  return offset;
}

/** Parses x-ms-max-item-count; absent, zero or negative means "server default" (everything here). */
function readMaxItemCount(headers) {
  const n = parseInt(headers["x-ms-max-item-count"], 10);
  return Number.isInteger(n) && n > 0 ? n : Infinity;
}

/** One page of results plus the continuation header value for the next page (null at the end). */
function page(results, maxItemCount, continuationHeader) {
  const offset = decodeContinuation(continuationHeader);
  const end = Math.min(results.length, offset + maxItemCount);
  return {
    items: results.slice(offset, end),
    continuation: end < results.length ? encodeContinuation(end) : null
  };
}

module.exports = { page, encodeContinuation, decodeContinuation, readMaxItemCount, ContinuationError };
