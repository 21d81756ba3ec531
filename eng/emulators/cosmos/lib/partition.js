"use strict";
// Partition-key scoping. The package keys its index by partition value but ignores the partition-key
// header on queries and feeds; these helpers let the wrapper scope them the way Cosmos DB does.
const { isDeepStrictEqual } = require("util");

const HEADER = "x-ms-documentdb-partitionkey";

class PartitionKeyError extends Error {}

/**
 * Reads the partition-key request header. Returns { scoped: false } when the request names no
 * partition, else { scoped: true, value } where value is undefined for PartitionKey.None ("[{}]").
 */
function readPartitionKey(headers) {
  let raw = headers[HEADER];
  if (Array.isArray(raw)) [raw] = raw;
  if (raw === undefined || raw === "") return { scoped: false };
  let parsed;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new PartitionKeyError(`invalid ${HEADER} header: ${raw}`);
  }
  if (!Array.isArray(parsed)) return { scoped: true, value: parsed };
  if (parsed.length === 0) return { scoped: false };
  if (parsed.length > 1) {
    throw new PartitionKeyError("hierarchical partition keys are not supported by the local stand-in");
  }
  const [value] = parsed;
  const isNone = value !== null && typeof value === "object" && Object.keys(value).length === 0;
  return { scoped: true, value: isNone ? undefined : value };
}

/** The partition-key value of a document for the container's partition-key paths (first path only). */
function partitionValue(doc, paths) {
  const [first] = paths && paths.length ? paths : ["/id"];
  return first
    .slice(1)
    .split("/")
    .reduce((node, key) => (node === null || node === undefined ? undefined : node[key]), doc);
}

/** Whether a document belongs to the request's partition, or null when the request names none (all do). */
function partitionFilter(paths, partitionKey) {
  if (!partitionKey.scoped) return null;
  const wanted = partitionKey.value;
  // Partition keys are nearly always strings or numbers: compare those directly, not structurally.
  if (wanted === null || typeof wanted !== "object") return doc => partitionValue(doc, paths) === wanted;
  return doc => isDeepStrictEqual(partitionValue(doc, paths), wanted);
}

/** Filters documents to one partition; an unscoped request keeps them all. */
function scopeToPartition(docs, paths, partitionKey) {
  const keep = partitionFilter(paths, partitionKey);
  return keep ? docs.filter(keep) : docs;
}

module.exports = { HEADER, PartitionKeyError, readPartitionKey, partitionValue, partitionFilter, scopeToPartition };
