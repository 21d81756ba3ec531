"use strict";
// The wrapper over HTTP, as the SDK talks to it (the .NET integration tests cover the SDK itself).
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { startCosmos } = require("../lib/app");
const { parseArgs } = require("../server");

const pkHeader = value => ({ "x-ms-documentdb-partitionkey": JSON.stringify([value]) });

async function withServer(dataDir, fn) {
  const cosmos = await startCosmos({ port: 0, dataDir });
  const base = `http://127.0.0.1:${cosmos.port}`;
  const call = async (method, url, { body, headers = {} } = {}) => {
    const res = await fetch(base + url, {
      method,
      headers: { "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  try {
    return await fn(call);
  } finally {
    await cosmos.close();
  }
}

async function seed(call) {
  assert.equal((await call("POST", "/dbs", { body: { id: "db" } })).status, 201);
  const coll = await call("POST", "/dbs/db/colls", { body: { id: "c", partitionKey: { paths: ["/pk"], kind: "Hash" } } });
  assert.equal(coll.status, 201);
  for (let i = 0; i < 5; i += 1) {
    const pk = i % 2 ? "odd" : "even";
    assert.equal((await call("POST", "/dbs/db/colls/c/docs", { body: { id: `d${i}`, pk, n: i }, headers: pkHeader(pk) })).status, 201);
  }
}

const queryHeaders = extra => ({ "x-ms-documentdb-isquery": "True", "content-type": "application/query+json", ...extra });

test("query plan, scoped parameterized query with paging, and cross-partition query", async () => {
  await withServer(fs.mkdtempSync(path.join(os.tmpdir(), "cosmos-http-")), async call => {
    await seed(call);
    const plan = await call("POST", "/dbs/db/colls/c/docs", {
      body: { query: "SELECT * FROM c" },
      headers: queryHeaders({ "x-ms-cosmos-is-query-plan-request": "True" })
    });
    assert.equal(plan.status, 200);
    assert.equal(plan.body.partitionedQueryExecutionInfoVersion, 2);

    const query = { query: "SELECT VALUE c.id FROM c WHERE c.n >= @min", parameters: [{ name: "@min", value: 0 }] };
    const ids = [];
    let continuation;
    do {
      const headers = queryHeaders({ ...pkHeader("even"), "x-ms-max-item-count": "2" });
      if (continuation) headers["x-ms-continuation"] = continuation;
      const res = await call("POST", "/dbs/db/colls/c/docs", { body: query, headers });
      assert.equal(res.status, 200);
      assert.ok(res.body.Documents.length <= 2);
      ids.push(...res.body.Documents);
      continuation = res.headers.get("x-ms-continuation");
    } while (continuation);
    assert.deepEqual(ids, ["d0", "d2", "d4"]);

    const all = await call("POST", "/dbs/db/colls/c/docs", {
      body: query,
      headers: queryHeaders({ "x-ms-documentdb-query-enablecrosspartition": "True" })
    });
    assert.deepEqual(all.body.Documents, ["d0", "d1", "d2", "d3", "d4"]);

    // The same text compiles once; each request's parameters still apply.
    const fromThree = await call("POST", "/dbs/db/colls/c/docs", {
      body: { ...query, parameters: [{ name: "@min", value: 3 }] },
      headers: queryHeaders({ "x-ms-documentdb-query-enablecrosspartition": "True" })
    });
    assert.deepEqual(fromThree.body.Documents, ["d3", "d4"]);

    for (let i = 0; i < 2; i += 1) {
      const bad = await call("POST", "/dbs/db/colls/c/docs", { body: { query: "SELEC nonsense" }, headers: queryHeaders() });
      assert.equal(bad.status, 400);
    }
  });
});

test("item status codes: 404 missing, 409 duplicate, 412 stale If-Match, 304 If-None-Match", async () => {
  await withServer(fs.mkdtempSync(path.join(os.tmpdir(), "cosmos-http-")), async call => {
    await seed(call);
    assert.equal((await call("GET", "/dbs/db/colls/c/docs/missing", { headers: pkHeader("even") })).status, 404);
    assert.equal((await call("GET", "/dbs/db/colls/c/docs/d0", { headers: pkHeader("odd") })).status, 404);
    assert.equal((await call("GET", "/dbs/db/colls/nope/docs/d0", { headers: pkHeader("even") })).status, 404);
    assert.equal((await call("POST", "/dbs/db/colls/nope/docs", { body: { id: "x", pk: "even" }, headers: pkHeader("even") })).status, 404);
    assert.equal((await call("DELETE", "/dbs/db/colls/c/docs/missing", { headers: pkHeader("even") })).status, 404);
    assert.equal((await call("PUT", "/dbs/db/colls/c/docs/missing", { body: { id: "missing", pk: "even" }, headers: pkHeader("even") })).status, 404);
    assert.equal((await call("POST", "/dbs/db/colls/c/docs", { body: { id: "d0", pk: "even" }, headers: pkHeader("even") })).status, 409);

    const read = await call("GET", "/dbs/db/colls/c/docs/d0", { headers: pkHeader("even") });
    assert.equal(read.status, 200);
    const etag = read.headers.get("etag");
    assert.equal(etag, read.body._etag);
    const notModified = await call("GET", "/dbs/db/colls/c/docs/d0", { headers: { ...pkHeader("even"), "if-none-match": etag } });
    assert.equal(notModified.status, 304);

    const replaced = await call("PUT", "/dbs/db/colls/c/docs/d0", { body: { id: "d0", pk: "even", n: 10 }, headers: { ...pkHeader("even"), "if-match": etag } });
    assert.equal(replaced.status, 200);
    const stale = await call("PUT", "/dbs/db/colls/c/docs/d0", { body: { id: "d0", pk: "even", n: 11 }, headers: { ...pkHeader("even"), "if-match": etag } });
    assert.equal(stale.status, 412);
    assert.equal((await call("GET", "/dbs/db/colls/c/docs/d0", { headers: { ...pkHeader("even"), "if-none-match": etag } })).status, 200);
    const patchBody = { operations: [{ op: "set", path: "/n", value: 12 }] };
    assert.equal((await call("PATCH", "/dbs/db/colls/c/docs/d0", { body: patchBody, headers: { ...pkHeader("even"), "if-match": etag } })).status, 412);
    assert.equal((await call("DELETE", "/dbs/db/colls/c/docs/d0", { headers: { ...pkHeader("even"), "if-match": etag } })).status, 412);
    const patched = await call("PATCH", "/dbs/db/colls/c/docs/d0", { body: patchBody, headers: { ...pkHeader("even"), "if-match": replaced.body._etag } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.n, 12);

    const batch = await call("POST", "/dbs/db/colls/c/docs", { body: [], headers: { "x-ms-cosmos-is-batch-request": "True" } });
    assert.equal(batch.status, 400);
  });
});

test("change feed per container: beginning, now, resume, 304 and partition scope", async () => {
  await withServer(fs.mkdtempSync(path.join(os.tmpdir(), "cosmos-http-")), async call => {
    await seed(call);
    const feed = headers => call("GET", "/dbs/db/colls/c/docs", { headers: { "a-im": "Incremental feed", ...headers } });

    const beginning = await feed({});
    assert.equal(beginning.status, 200);
    assert.deepEqual(beginning.body.Documents.map(d => d.id), ["d0", "d1", "d2", "d3", "d4"]);
    assert.equal(beginning.headers.get("etag"), '"5"');

    const now = await feed({ "if-none-match": "*" });
    assert.equal(now.status, 304);
    await call("PUT", "/dbs/db/colls/c/docs/d1", { body: { id: "d1", pk: "odd", n: 100 }, headers: pkHeader("odd") });
    await call("POST", "/dbs/db/colls/c/docs", { body: { id: "d5", pk: "even" }, headers: pkHeader("even") });
    await call("DELETE", "/dbs/db/colls/c/docs/d2", { headers: pkHeader("even") });

    const changes = await feed({ "if-none-match": now.headers.get("etag") });
    assert.deepEqual(changes.body.Documents.map(d => [d.id, d._lsn]), [["d1", 6], ["d5", 7]]);
    const none = await feed({ "if-none-match": changes.headers.get("etag") });
    assert.equal(none.status, 304);
    assert.equal(none.headers.get("etag"), '"8"');

    const scoped = await feed({ ...pkHeader("odd") });
    assert.deepEqual(scoped.body.Documents.map(d => d.id), ["d3", "d1"]);
    const paged = await feed({ "x-ms-max-item-count": "2" });
    assert.deepEqual(paged.body.Documents.map(d => d.id), ["d0", "d3"]);
    assert.equal(paged.headers.get("etag"), '"4"');
  });
});

test("data, etags and the change feed position survive a restart; container replace keeps items", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cosmos-http-"));
  let etag;
  await withServer(dir, async call => {
    await seed(call);
    etag = (await call("GET", "/dbs/db/colls/c/docs/d3", { headers: pkHeader("odd") })).body._etag;
    await call("DELETE", "/dbs/db/colls/c/docs/d4", { headers: pkHeader("even") });
    const replaced = await call("PUT", "/dbs/db/colls/c", { body: { id: "c", partitionKey: { paths: ["/pk"], kind: "Hash" }, defaultTtl: 60 } });
    assert.equal(replaced.status, 200);
    assert.equal((await call("GET", "/dbs/db/colls/c/docs/d3", { headers: pkHeader("odd") })).status, 200);
    await call("POST", "/dbs", { body: { id: "dropped" } });
    await call("DELETE", "/dbs/dropped");
  });
  await withServer(dir, async call => {
    const read = await call("GET", "/dbs/db/colls/c/docs/d3", { headers: pkHeader("odd") });
    assert.equal(read.status, 200);
    assert.equal(read.body._etag, etag);
    assert.equal((await call("GET", "/dbs/db/colls/c/docs/d4", { headers: pkHeader("even") })).status, 404);
    assert.equal((await call("GET", "/dbs/db/colls/c")).body.defaultTtl, 60);
    assert.equal((await call("GET", "/dbs/dropped")).status, 404);
    const created = await call("POST", "/dbs/db/colls/c/docs", { body: { id: "new", pk: "odd" }, headers: pkHeader("odd") });
    assert.equal(created.body._lsn, 7);
    const feed = await call("GET", "/dbs/db/colls/c/docs", { headers: { "a-im": "Incremental feed", "if-none-match": '"6"' } });
    assert.deepEqual(feed.body.Documents.map(d => d.id), ["new"]);
  });
  const lines = fs.readFileSync(path.join(dir, "journal.jsonl"), "utf8").trim().split("\n");
  assert.deepEqual(lines.map(l => JSON.parse(l).op), ["ridCounter", "putDb", "putColl", "putDoc", "putDoc", "putDoc", "putDoc", "putDoc"]);
});

test("arguments and environment select port, host and data directory", () => {
  const args = parseArgs(["--port", "9000", "--data", "/tmp/x", "--fsync"], { COSMOS_HOST: "127.0.0.2" });
  assert.deepEqual(args, { port: 9000, host: "127.0.0.2", dataDir: "/tmp/x", fsync: true, logRequests: false });
  assert.equal(parseArgs([], { COSMOS_PORT: "1234" }).port, 1234);
  assert.throws(() => parseArgs(["--bogus"], {}), /unknown argument/);
  assert.throws(() => parseArgs(["--port", "x"], {}), /invalid port/);
});
