"use strict";
// Resource ids route: the SDK addresses a container by its _rid for every cross-partition query.
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { startCosmos } = require("../lib/app");
const { toRid, fromRid } = require("../lib/resource-id");

test("a rid never holds '/', and reads back to the same bytes with any number of '-'", () => {
  const bytes = Buffer.from([0xff, 0xff, 0xff, 0x80, 0x00, 0x3f, 0xfc, 0x0f, 0xc0]);
  assert.ok(bytes.toString("base64").split("/").length - 1 >= 2);
  const rid = toRid(bytes);
  assert.doesNotMatch(rid, /\//);
  assert.deepEqual(fromRid(rid), bytes);
  assert.deepEqual(fromRid(bytes.toString("base64")), bytes);
});

test("every one of 130 databases routes by rid: its container's partition key ranges answer 200", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cosmos-rid-"));
  const cosmos = await startCosmos({ port: 0, dataDir });
  const call = async (method, url, body) => {
    const res = await fetch(`http://127.0.0.1:${cosmos.port}${url}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    return { status: res.status, body: await res.json() };
  };
  try {
    const unrouted = [];
    for (let i = 1; i <= 130; i += 1) {
      assert.equal((await call("POST", "/dbs", { id: `db${i}` })).status, 201);
      const collection = await call("POST", `/dbs/db${i}/colls`, { id: "c", partitionKey: { paths: ["/pk"], kind: "Hash" } });
      const database = await call("GET", `/dbs/db${i}`);
      const ranges = await call("GET", `/dbs/${database.body._rid}/colls/${collection.body._rid}/pkranges`);
      if (ranges.status !== 200) unrouted.push(`db${i} (${collection.body._rid}): ${ranges.status}`);
    }
    // Before the fix: db63 and db127 answered 400.
    assert.deepEqual(unrouted, []);
  } finally {
    await cosmos.close();
  }
});
