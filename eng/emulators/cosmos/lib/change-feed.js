"use strict";
// Incremental (LatestVersion) change feed over one container. The only partition key range is the
// whole container, so the feed's continuation is simply the container's last seen LSN, exchanged as
// the etag / If-None-Match pair just as the service does.

/** Parses If-None-Match: undefined or "" = from the beginning, "*" = from now, else an LSN. */
function readStart(ifNoneMatch) {
  if (ifNoneMatch === undefined || ifNoneMatch === "") return { kind: "beginning" };
  const value = String(ifNoneMatch).trim();
  if (value === "*") return { kind: "now" };
  const lsn = Number(value.replace(/^W\//, "").replace(/"/g, ""));
  if (!Number.isInteger(lsn) || lsn < 0) throw new Error(`invalid change feed continuation: ${ifNoneMatch}`);
  return { kind: "lsn", lsn };
}

const formatEtag = lsn => `"${lsn}"`;

/**
 * docs: the current documents in scope (each stamped with _lsn); currentLsn: the container's latest
 * LSN; ifModifiedSince: optional start time (StartFrom.Time) in ms since epoch.
 * Returns { status: 200|304, items, etag }.
 */
function readChangeFeed({ docs, currentLsn, ifNoneMatch, maxItemCount = Infinity, ifModifiedSince }) {
  const start = readStart(ifNoneMatch);
  if (start.kind === "now") return { status: 304, items: [], etag: formatEtag(currentLsn) };
  const since = start.kind === "lsn" ? start.lsn : 0;
  const sinceTs = start.kind === "beginning" && ifModifiedSince !== undefined ? Math.floor(ifModifiedSince / 1000) : -Infinity;
  const changed = docs
    .filter(d => (d._lsn || 0) > since && (d._ts || 0) >= sinceTs)
    .sort((a, b) => a._lsn - b._lsn);
  if (changed.length === 0) return { status: 304, items: [], etag: formatEtag(Math.max(since, currentLsn)) };
  const items = changed.slice(0, maxItemCount);
  // A truncated page resumes after its last item; a complete one after everything seen so far.
  const next = items.length < changed.length ? items[items.length - 1]._lsn : Math.max(since, currentLsn);
  return { status: 200, items, etag: formatEtag(next) };
}

module.exports = { readChangeFeed, readStart, formatEtag };
