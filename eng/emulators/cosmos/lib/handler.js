"use strict";
// Request handler: answers what the package gets wrong (query plans, scoped and paged queries, the
// change feed, item reads with 404/304) and delegates everything else to the package's own route
// handlers, journaling every successful mutation so a restart keeps the data.
const { randomUUID } = require("crypto");
const { isDeepStrictEqual } = require("util");
const { routes, readJson } = require("./package");
const { readPartitionKey, partitionValue, partitionFilter, scopeToPartition, PartitionKeyError } = require("./partition");
const { buildQueryPlan, isQueryPlanRequest } = require("./query-plan");
const { equalityFilter } = require("./prefilter");
const { compile } = require("./compile");
const { page, readMaxItemCount, ContinuationError } = require("./paging");
const { readChangeFeed } = require("./change-feed");
const store = require("./store");

const QUERY_METRICS =
  "totalExecutionTimeInMs=0.00;queryCompileTimeInMs=0.00;queryLogicalPlanBuildTimeInMs=0.00;" +
  "queryPhysicalPlanBuildTimeInMs=0.00;queryOptimizationTimeInMs=0.00;VMExecutionTimeInMs=0.00;" +
  "indexLookupTimeInMs=0.00;documentLoadTimeInMs=0.00;systemFunctionExecuteTimeInMs=0.00;" +
  "userFunctionExecuteTimeInMs=0.00;retrievedDocumentCount=0;retrievedDocumentSize=0;outputDocumentCount=0;" +
  "outputDocumentSize=0;writeOutputTimeInMs=0.00;indexUtilizationRatio=0.00";

const NOT_FOUND = { code: "NotFound", message: "Entity with the specified id does not exist in the system." };
const MAX_COMPILED_QUERIES = 256;

class BadRequest extends Error {}

// Marks a response produced by the package's own route (so the package's feed-etag rule applies).
const DELEGATED = Symbol("delegated");

const isTrue = (headers, name) => String(headers[name] || "").toLowerCase() === "true";

function normalizePath(url) {
  let pathname = new URL(url, "http://localhost").pathname;
  while (pathname.startsWith("//")) pathname = pathname.slice(1);
  while (pathname.length > 1 && pathname.endsWith("/")) pathname = pathname.slice(0, -1);
  return pathname;
}

/** Splits a path into { dbId, collId, docId, feed } where feed names the last collection segment. */
function parseResourcePath(pathname) {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const out = { dbId: undefined, collId: undefined, docId: undefined, feed: undefined, depth: parts.length };
  if (parts[0] !== "dbs") return out;
  out.feed = parts.length === 1 ? "dbs" : undefined;
  [, out.dbId] = parts;
  if (parts.length >= 3 && parts[2] === "colls") {
    out.feed = parts.length === 3 ? "colls" : undefined;
    [, , , out.collId] = parts;
    if (parts.length >= 5 && parts[4] === "docs") {
      out.feed = parts.length === 5 ? "docs" : undefined;
      [, , , , , out.docId] = parts;
    } else if (parts.length >= 5) {
      out.feed = parts.length === 5 ? parts[4] : "other";
    }
  }
  return out;
}

function isQueryRequest(req) {
  return (
    req.method === "POST" &&
    (isTrue(req.headers, "x-ms-documentdb-isquery") || req.headers["content-type"] === "application/query+json")
  );
}

function unquoteEtag(value) {
  return String(value).trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

function createHandler({ account, journal, log = () => {}, logRequests = false }) {
  async function runPackageRoute(req, res) {
    const route = routes(req);
    if (!route) {
      res.statusCode = 400;
      return { message: "no route" };
    }
    const [params, handler] = route;
    let body;
    try {
      body = await handler(account, req, res, params);
    } catch (err) {
      log(`package handler failed: ${err.stack || err.message}`);
      res.statusCode = 500;
      body = { message: err.message };
    }
    if (res.statusCode > 399 && body && !body.message) body.message = "";
    return body;
  }

  function send(req, res, body, { legacyFeedEtag = false } = {}) {
    if (body && body._etag && !res.hasHeader("etag")) res.setHeader("etag", body._etag);
    res.setHeader("content-type", "application/json");
    res.setHeader("content-location", `http://${req.headers.host}${req.url}`);
    res.setHeader("x-ms-activity-id", req.headers["x-ms-activity-id"] || randomUUID());
    res.setHeader("x-ms-request-charge", "1");
    if (req.headers["x-ms-documentdb-populatequerymetrics"]) res.setHeader("x-ms-documentdb-query-metrics", QUERY_METRICS);
    // Kept from the package for the feeds it serves (partition key ranges): the SDK polls them
    // incrementally and a 304 means "no split happened".
    if (legacyFeedEtag && req.headers["a-im"] && res.statusCode === 200) {
      if (req.headers["if-none-match"]) res.statusCode = 304;
      res.setHeader("etag", "1");
    }
    if (res.statusCode === 304 || res.statusCode === 204 || body === undefined) {
      res.end();
    } else {
      res.end(JSON.stringify(body));
    }
  }

  function collectionOr404(res, dbId, collId) {
    const collection = store.findCollection(account, dbId, collId);
    if (!collection) res.statusCode = 404;
    return collection;
  }

  function feedBody(collection, items) {
    return { _rid: collection.read()._rid, Documents: items, _count: items.length };
  }

  async function queryDocuments(req, res, { dbId, collId }) {
    const request = await readJson(req).catch(() => {
      throw new BadRequest("request body is not valid JSON");
    });
    if (!request || typeof request.query !== "string") throw new BadRequest("missing query");
    const collection = collectionOr404(res, dbId, collId);
    if (!collection) return NOT_FOUND;
    return runQuery(req, res, collection, request.query, request.parameters);
  }

  // Compiling a query (parse, then generate JavaScript) costs milliseconds, running a compiled one over a partition
  // microseconds; the app sends the same few parameterized texts over and over.
  const compiledQueries = new Map();
  function compiled(sql) {
    let query = compiledQueries.get(sql);
    if (!query) {
      if (compiledQueries.size >= MAX_COMPILED_QUERIES) compiledQueries.delete(compiledQueries.keys().next().value);
      query = compile(sql);
      compiledQueries.set(sql, query);
    }
    return query;
  }

  function runQuery(req, res, collection, sql, parameters) {
    let query;
    try {
      query = compiled(sql);
    } catch (err) {
      throw new BadRequest(err.message);
    }
    const inPartition = partitionFilter(store.partitionPaths(collection), readPartitionKey(req.headers));
    const pinned = equalityFilter(query.pins, parameters);
    const keep = inPartition && pinned ? doc => inPartition(doc) && pinned(doc) : inPartition || pinned;
    const docs = store.documentsInOrder(collection, keep);
    const data = collection.read();
    let result;
    try {
      result = query.exec(docs, {
        parameters,
        udf: collection.documents._userDefinedFunctions(),
        compositeIndexes: (data.indexingPolicy && data.indexingPolicy.compositeIndexes) || []
      });
    } catch (err) {
      throw new BadRequest(err.message);
    }
    const { items, continuation } = page(result.result, readMaxItemCount(req.headers), req.headers["x-ms-continuation"]);
    if (continuation) res.setHeader("x-ms-continuation", continuation);
    res.setHeader("x-ms-item-count", String(items.length));
    res.statusCode = 200;
    return feedBody(collection, items);
  }

  function changeFeed(req, res, { dbId, collId }) {
    const collection = collectionOr404(res, dbId, collId);
    if (!collection) return NOT_FOUND;
    const docs = scopeToPartition(
      [...collection.documents._data.values()].map(item => item.read()),
      store.partitionPaths(collection),
      readPartitionKey(req.headers)
    );
    const since = req.headers["if-modified-since"] ? Date.parse(req.headers["if-modified-since"]) : undefined;
    let feed;
    try {
      feed = readChangeFeed({
        docs,
        currentLsn: store.currentLsn(collection),
        ifNoneMatch: req.headers["if-none-match"],
        maxItemCount: readMaxItemCount(req.headers),
        ifModifiedSince: Number.isNaN(since) ? undefined : since
      });
    } catch (err) {
      throw new BadRequest(err.message);
    }
    res.statusCode = feed.status;
    res.setHeader("etag", feed.etag);
    res.setHeader("x-ms-item-count", String(feed.items.length));
    return feed.status === 304 ? undefined : feedBody(collection, feed.items);
  }

  function readDocument(req, res, { dbId, collId, docId }) {
    const collection = collectionOr404(res, dbId, collId);
    if (!collection) return NOT_FOUND;
    const partitionKey = readPartitionKey(req.headers);
    const partition = partitionKey.scoped ? partitionKey.value : docId;
    const doc = collection.documents._item("/id", docId, partition).read();
    const paths = store.partitionPaths(collection);
    if (!doc || doc.id !== docId || (partitionKey.scoped && !isDeepStrictEqual(partitionValue(doc, paths), partitionKey.value))) {
      res.statusCode = 404;
      return NOT_FOUND;
    }
    const ifNoneMatch = req.headers["if-none-match"];
    res.setHeader("etag", doc._etag);
    if (ifNoneMatch && (ifNoneMatch.trim() === "*" || unquoteEtag(ifNoneMatch) === unquoteEtag(doc._etag))) {
      res.statusCode = 304;
      return undefined;
    }
    res.statusCode = 200;
    return doc;
  }

  /** Looks up the document a delete will remove, so its partition can be journaled. */
  function documentBeforeDelete(req, { dbId, collId, docId }) {
    const collection = store.findCollection(account, dbId, collId);
    if (!collection) return null;
    const partitionKey = readPartitionKey(req.headers);
    const partition = partitionKey.scoped ? partitionKey.value : docId;
    return collection.documents._item("/id", docId, partition).read() || null;
  }

  const ok = res => res.statusCode >= 200 && res.statusCode < 300;
  const appendIfAny = record => record && journal.append(record);

  async function route(req, res, pathname) {
    const p = parseResourcePath(pathname);
    const { method } = req;

    const isDocumentWrite =
      (p.feed === "docs" && method === "POST") ||
      (p.docId !== undefined && p.depth === 6 && ["PUT", "PATCH", "DELETE"].includes(method));
    if (isDocumentWrite && !isQueryRequest(req) && !isQueryPlanRequest(req.headers) && !store.findCollection(account, p.dbId, p.collId)) {
      // The package throws (500) when the container is missing; Cosmos DB answers 404.
      req.resume();
      res.statusCode = 404;
      return NOT_FOUND;
    }

    if (p.feed === "docs") {
      if (method === "POST" && isQueryPlanRequest(req.headers)) {
        req.resume();
        res.statusCode = 200;
        return buildQueryPlan();
      }
      if (isQueryRequest(req)) return queryDocuments(req, res, p);
      if (method === "POST" && isTrue(req.headers, "x-ms-cosmos-is-batch-request")) {
        req.resume();
        res.statusCode = 400;
        return { code: "BadRequest", message: "TransactionalBatch is not supported by the local stand-in" };
      }
      if (method === "GET" && req.headers["a-im"]) return changeFeed(req, res, p);
      if (method === "GET") {
        const collection = collectionOr404(res, p.dbId, p.collId);
        return collection ? runQuery(req, res, collection, "SELECT * FROM c", []) : NOT_FOUND;
      }
      if (method === "POST") {
        const body = await runPackageRoute(req, res);
        const collection = ok(res) && store.findCollection(account, p.dbId, p.collId);
        if (collection) appendIfAny(store.recordDocumentWrite(p.dbId, collection, body));
        return body;
      }
    }

    if (p.docId !== undefined && p.depth === 6) {
      if (method === "GET") return readDocument(req, res, p);
      if (method === "PUT" || method === "PATCH") {
        const body = await runPackageRoute(req, res);
        const collection = ok(res) && store.findCollection(account, p.dbId, p.collId);
        if (collection) appendIfAny(store.recordDocumentWrite(p.dbId, collection, body));
        return body;
      }
      if (method === "DELETE") {
        const before = documentBeforeDelete(req, p);
        const body = await runPackageRoute(req, res);
        const collection = ok(res) && before && store.findCollection(account, p.dbId, p.collId);
        if (collection) journal.append(store.recordDocumentDelete(p.dbId, collection, before));
        return body;
      }
    }

    if (p.feed === "dbs" && method === "POST" && !isQueryRequest(req)) {
      const body = await runPackageRoute(req, res);
      if (ok(res)) journal.append({ op: "putDb", db: body, rc: account.databases._ridCount });
      return body;
    }
    if (p.dbId !== undefined && p.depth === 2 && method === "DELETE") {
      const body = await runPackageRoute(req, res);
      if (ok(res)) journal.append({ op: "delDb", id: p.dbId });
      return body;
    }
    if (p.feed === "colls" && method === "POST" && !isQueryRequest(req)) {
      const body = await runPackageRoute(req, res);
      if (ok(res)) journal.append(collectionRecord(p.dbId, body.id));
      return body;
    }
    if (p.collId !== undefined && p.depth === 4 && method === "PUT") {
      const before = store.findCollection(account, p.dbId, p.collId);
      const body = await runPackageRoute(req, res);
      if (ok(res)) {
        store.carryOverContents(before, store.findCollection(account, p.dbId, p.collId));
        journal.append(collectionRecord(p.dbId, p.collId));
      }
      return body;
    }
    if (p.collId !== undefined && p.depth === 4 && method === "DELETE") {
      const body = await runPackageRoute(req, res);
      if (ok(res)) journal.append({ op: "delColl", db: p.dbId, id: p.collId });
      return body;
    }
    return { [DELEGATED]: await runPackageRoute(req, res) };
  }

  function collectionRecord(dbId, collId) {
    const db = store.findDatabase(account, dbId);
    const collection = store.findCollection(account, dbId, collId);
    return {
      op: "putColl",
      db: dbId,
      coll: collection.read(),
      rc: db.collections._ridCount,
      docRc: collection.documents._ridCount,
      lsn: store.currentLsn(collection)
    };
  }

  return function handle(req, res) {
    const started = process.hrtime.bigint();
    (async () => {
      let result;
      try {
        result = await route(req, res, normalizePath(req.url));
      } catch (err) {
        if (err instanceof BadRequest || err instanceof PartitionKeyError || err instanceof ContinuationError) {
          res.statusCode = 400;
          result = { code: "BadRequest", message: err.message };
        } else {
          log(`request failed: ${req.method} ${req.url}: ${err.stack || err.message}`);
          res.statusCode = 500;
          result = { code: "InternalServerError", message: err.message };
        }
      }
      const delegated = Boolean(result && DELEGATED in result);
      send(req, res, delegated ? result[DELEGATED] : result, { legacyFeedEtag: delegated });
      if (logRequests || res.statusCode >= 500) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        log(`${req.method} ${req.url} ${res.statusCode} ${ms.toFixed(1)}ms`);
      }
    })().catch(err => {
      log(`response failed: ${err.stack || err.message}`);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  };
}

module.exports = { createHandler, parseResourcePath, normalizePath };
