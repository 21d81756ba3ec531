"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { Journal, readJournal, forEachRecord } = require("../lib/journal");
const store = require("../lib/store");

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "cosmos-journal-"));

/** Builds an account with one container and a few writes, journaling like the handler does. */
function populate(account, journal) {
  const db = account.databases.create({ id: "db" });
  journal.append({ op: "putDb", db, rc: account.databases._ridCount });
  const database = store.findDatabase(account, "db");
  database.collections.create({ id: "c", partitionKey: { paths: ["/pk"], kind: "Hash" } });
  const coll = store.findCollection(account, "db", "c");
  journal.append({ op: "putColl", db: "db", coll: coll.read(), rc: 1, docRc: 0, lsn: 0 });
  for (const doc of [
    { id: "a", pk: "p1", v: 1 },
    { id: "b", pk: "p2", v: 1 },
    { id: "gone", pk: "p1", v: 1 }
  ]) {
    journal.append(store.recordDocumentWrite("db", coll, coll.documents.create(doc)));
  }
  const a = coll.documents._item("/id", "a", "p1").read();
  journal.append(store.recordDocumentWrite("db", coll, coll.documents.replace({ ...a, v: 2 }, a)));
  const gone = coll.documents._item("/id", "gone", "p1").read();
  coll.documents.delete("gone", "p1");
  journal.append(store.recordDocumentDelete("db", coll, gone));
  return coll;
}

function replay(dir) {
  const account = store.createAccount("127.0.0.1", 8081);
  const journal = new Journal(dir);
  const records = [];
  const { skipped } = journal.replay(r => {
    records.push(r);
    store.applyRecord(account, r);
  });
  return { account, journal, records, skipped };
}

test("replay restores documents with their etag, _ts, _rid and _lsn, and the container LSN", () => {
  const dir = tempDir();
  const account = store.createAccount("127.0.0.1", 8081);
  const journal = new Journal(dir);
  journal.replay(() => {});
  journal.compactAndOpen(() => []);
  const coll = populate(account, journal);
  journal.close();
  const before = store.documentsInOrder(coll);

  const { account: restored } = replay(dir);
  const after = store.findCollection(restored, "db", "c");
  assert.deepEqual(store.documentsInOrder(after), before);
  assert.deepEqual(before.map(d => [d.id, d._lsn, d.v]), [["a", 4, 2], ["b", 2, 1]]);
  assert.equal(store.currentLsn(after), 5);
  assert.equal(after.document("gone", "p1").read(), undefined);
  // New writes continue the counters instead of reusing a _rid or an LSN.
  const created = after.documents.create({ id: "c", pk: "p1" });
  assert.ok(!before.some(d => d._rid === created._rid));
  assert.equal(store.nextLsn(after), 6);
});

test("compaction rewrites the journal as current state only and replays to the same state", () => {
  const dir = tempDir();
  const account = store.createAccount("127.0.0.1", 8081);
  const journal = new Journal(dir);
  journal.replay(() => {});
  journal.compactAndOpen(() => []);
  populate(account, journal);
  journal.close();
  assert.equal(readJournal(journal.file).records.length, 7);

  const first = replay(dir);
  first.journal.compactAndOpen(() => store.snapshotRecords(first.account));
  first.journal.close();
  const compacted = readJournal(first.journal.file).records;
  assert.deepEqual(compacted.map(r => r.op), ["ridCounter", "putDb", "putColl", "putDoc", "putDoc"]);

  const second = replay(dir);
  const coll = store.findCollection(second.account, "db", "c");
  assert.deepEqual(store.documentsInOrder(coll).map(d => [d.id, d._etag]),
    store.documentsInOrder(store.findCollection(first.account, "db", "c")).map(d => [d.id, d._etag]));
  assert.equal(store.currentLsn(coll), 5);
});

test("a torn last line is skipped, deletes of containers and databases replay", () => {
  const dir = tempDir();
  const account = store.createAccount("127.0.0.1", 8081);
  const journal = new Journal(dir);
  journal.replay(() => {});
  journal.compactAndOpen(() => []);
  populate(account, journal);
  journal.append({ op: "delColl", db: "db", id: "c" });
  journal.close();
  fs.appendFileSync(journal.file, '{"op":"putDoc","db":"db"');

  const { account: restored, skipped } = replay(dir);
  assert.equal(skipped, 1);
  assert.ok(store.findDatabase(restored, "db"));
  assert.equal(store.findCollection(restored, "db", "c"), null);
});

test("an unknown record is an error, not silently dropped data", () => {
  const account = store.createAccount("127.0.0.1", 8081);
  assert.throws(() => store.applyRecord(account, { op: "mystery" }), /unknown record op/);
});

test("creation order is stable across replaces", () => {
  const account = store.createAccount("127.0.0.1", 8081);
  account.databases.create({ id: "db" });
  store.findDatabase(account, "db").collections.create({ id: "c", partitionKey: { paths: ["/pk"] } });
  const coll = store.findCollection(account, "db", "c");
  for (let i = 0; i < 300; i += 1) coll.documents.create({ id: `d${i}`, pk: "p" });
  const first = coll.documents._item("/id", "d0", "p").read();
  coll.documents.replace({ ...first, touched: true }, first);
  const ids = store.documentsInOrder(coll).map(d => d.id);
  assert.equal(ids[0], "d0");
  assert.equal(ids[299], "d299");
});

test("a journal that outgrows its threshold is compacted while running, and replays to the same state", () => {
  const dir = tempDir();
  const account = store.createAccount("127.0.0.1", 8081);
  const journal = new Journal(dir, { compactAtBytes: 2048 });
  journal.replay(() => {});
  journal.compactAndOpen(() => store.snapshotRecords(account));
  const coll = populate(account, journal);
  for (let i = 0; i < 200; i += 1) {
    const doc = coll.documents.upsert({ id: "a", pk: "p1", v: i });
    journal.append(store.recordDocumentWrite("db", coll, doc));
  }
  journal.close();

  assert.ok(fs.statSync(journal.file).size < 8192, "the journal was compacted while running");
  const { account: restored } = replay(dir);
  assert.equal(store.findCollection(restored, "db", "c").document("a", "p1").read().v, 199);
});

test("records are streamed across read chunks", () => {
  const dir = tempDir();
  const file = path.join(dir, "journal.jsonl");
  const big = "x".repeat(40 * 1024 * 1024);
  fs.writeFileSync(file, `${JSON.stringify({ op: "a", big })}\n${JSON.stringify({ op: "b" })}\n`);

  const ops = [];
  const { count, skipped } = forEachRecord(file, r => ops.push(r.op));

  assert.deepEqual([ops, count, skipped], [["a", "b"], 2, 0]);
});

test("after compaction with every database deleted, a new database still gets a fresh _rid", () => {
  const dir = tempDir();
  const account = store.createAccount("127.0.0.1", 8081);
  const journal = new Journal(dir);
  journal.replay(() => {});
  journal.compactAndOpen(() => store.snapshotRecords(account));
  populate(account, journal);
  const usedRid = store.findDatabase(account, "db").read()._rid;
  account.databases.delete("db");
  journal.append({ op: "delDb", id: "db" });
  journal.compact();
  journal.close();

  const { account: restored } = replay(dir);
  restored.databases.create({ id: "again" });

  assert.notEqual(store.findDatabase(restored, "again").read()._rid, usedRid);
});
