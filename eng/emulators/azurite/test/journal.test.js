"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { patchLoki, JournalAdapter, journalPath } = require("../lib/journal");

const Loki = patchLoki();

function temporaryFile(name) {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "azurite-journal-")), name);
}

function promise(run) {
  return new Promise((resolve, reject) => run(error => (error ? reject(error) : resolve())));
}

/** A database as Azurite opens one on disk: fs persistence with autosave, loaded when its file exists. */
async function open(file) {
  const db = new Loki(file, { persistenceMethod: "fs", autosave: true, autosaveInterval: 5000 });
  db.autosaveDisable(); // the tests save when they choose
  if (fs.existsSync(file)) {
    await promise(callback => db.loadDatabase({}, callback));
  }
  return db;
}

const save = db => promise(callback => db.saveDatabase(callback));

/** What a database holds, independent of how it got there. */
function contents(db) {
  return Object.fromEntries(db.collections.map(collection => [collection.name, {
    maxId: collection.maxId,
    data: collection.data.map(({ meta, ...document }) => document),
  }]));
}

function entity(partition, row, extra = {}) {
  return { PartitionKey: `p${partition}`, RowKey: `r${row}`, ...extra };
}

test("a database opened on disk with autosave gets the journal and a 1 s save interval; others keep theirs", () => {
  const journaled = new Loki(temporaryFile("a.json"), { persistenceMethod: "fs", autosave: true, autosaveInterval: 5000 });
  journaled.autosaveDisable();
  assert.ok(journaled.persistenceAdapter instanceof JournalAdapter);
  assert.equal(journaled.autosaveInterval, 1000);
  const inMemory = new Loki("memory.json", { persistenceMethod: "memory" });
  assert.equal(inMemory.persistenceAdapter instanceof JournalAdapter, false);
});

test("inserts, updates and removes over several saves come back the same after a reopen, indexes included", async () => {
  const file = temporaryFile("table.json");
  const db = await open(file);
  const entities = db.addCollection("entities", { indices: ["PartitionKey", "RowKey"] });
  const services = db.addCollection("services", { unique: ["accountName"] });
  services.insert({ accountName: "devstoreaccount1", cors: [] });
  await save(db);

  let row = 0;
  for (let round = 0; round < 6; round += 1) {
    for (let i = 0; i < 50; i += 1) {
      entities.insert(entity((row * 7) % 5, row));
      row += 1;
    }
    for (const document of entities.find({ PartitionKey: `p${round % 5}` }).slice(0, 4)) {
      document.Sequence = round;
      entities.update(document);
    }
    entities.remove(entities.find({ PartitionKey: `p${(round + 2) % 5}` }).slice(0, 3)); // a batch remove
    entities.remove(entities.findOne({ PartitionKey: `p${(round + 3) % 5}` }));
    await save(db);
  }
  const services2 = services.findOne({ accountName: "devstoreaccount1" });
  services2.cors = ["*"];
  services.update(services2);
  await save(db);

  const reopened = await open(file);
  assert.deepEqual(contents(reopened), contents(db));
  const again = reopened.getCollection("entities");
  for (let partition = 0; partition < 5; partition += 1) {
    const query = { PartitionKey: `p${partition}` };
    assert.deepEqual(again.find(query).map(document => document.$loki).sort((a, b) => a - b),
      entities.find(query).map(document => document.$loki).sort((a, b) => a - b));
  }
  assert.equal(again.insert(entity(9, "next")).$loki, entities.maxId + 1, "ids continue where they stopped");
  assert.throws(() => reopened.getCollection("services").insert({ accountName: "devstoreaccount1" }), /Duplicate key/);
});

test("a save writes only what changed since the last one", async () => {
  const file = temporaryFile("queue.json");
  const db = await open(file);
  const messages = db.addCollection("messages", { indices: ["queueName"] });
  for (let i = 0; i < 5000; i += 1) {
    messages.insert({ queueName: `q${i % 4}`, text: "x".repeat(200) });
  }
  await save(db);
  const before = fs.statSync(journalPath(file)).size;
  const message = messages.findOne({ queueName: "q1" });
  message.dequeueCount = 1;
  messages.update(message);
  await save(db);
  const grown = fs.statSync(journalPath(file)).size - before;
  assert.ok(grown > 0 && grown < 1024, `one update grew the journal by ${grown} bytes`);
  await save(db);
  assert.equal(fs.statSync(journalPath(file)).size - before, grown, "a save with nothing changed writes nothing");
});

test("a collection dropped, recreated or cleared between saves comes back as it was last saved", async () => {
  const file = temporaryFile("tables.json");
  const db = await open(file);
  db.addCollection("dropped").insert([{ a: 1 }, { a: 2 }]);
  db.addCollection("recreated", { indices: ["a"] }).insert([{ a: 1 }, { a: 2 }, { a: 3 }]);
  db.addCollection("cleared").insert([{ a: 1 }, { a: 2 }]);
  await save(db);

  db.removeCollection("dropped");
  db.removeCollection("recreated");
  db.addCollection("recreated", { indices: ["b"] }).insert({ b: 7 });
  db.getCollection("cleared").clear();
  db.getCollection("cleared").insert({ a: 9 });
  await save(db);

  const reopened = await open(file);
  assert.deepEqual(contents(reopened), contents(db));
  assert.equal(reopened.getCollection("dropped"), null);
  assert.deepEqual(Object.keys(reopened.getCollection("recreated").binaryIndices), ["b"]);
  assert.deepEqual(reopened.getCollection("cleared").find().map(document => document.a), [9]);
});

test("a save cut short by a kill is dropped at the next load; a damaged record refuses the load", async () => {
  const file = temporaryFile("torn.json");
  const db = await open(file);
  const collection = db.addCollection("entities");
  collection.insert({ a: 1 });
  await save(db);
  collection.insert({ a: 2 });
  await save(db);
  const saved = contents(db);
  const complete = fs.statSync(journalPath(file)).size;
  fs.appendFileSync(journalPath(file), '{"collections":[{"name":"entities","maxId":3,"upse');

  const reopened = await open(file);
  assert.deepEqual(contents(reopened), saved);
  assert.equal(fs.statSync(journalPath(file)).size, complete, "the torn line is cut off, so the next save starts a new line");
  reopened.getCollection("entities").insert({ a: 3 });
  await save(reopened);
  assert.deepEqual((await open(file)).getCollection("entities").find().map(document => document.a), [1, 2, 3]);

  fs.appendFileSync(journalPath(file), "not json\n");
  await assert.rejects(open(file), /torn\.json\.journal: line 3 is not a journal record/);
});

test("when the journal outgrows the snapshot, a save writes a new snapshot and empties the journal", async () => {
  const file = temporaryFile("compacted.json");
  const db = new Loki(file);
  db.configureOptions({ adapter: new JournalAdapter(db, 4096) });
  await save(db); // no snapshot yet: the first save writes one
  const collection = db.addCollection("entities", { indices: ["PartitionKey"] });
  let compactions = 0;
  for (let i = 0; i < 200; i += 1) {
    collection.insert(entity(i % 3, i, { text: "y".repeat(100) }));
    await save(db);
    compactions += fs.statSync(journalPath(file)).size === 0 ? 1 : 0;
  }
  assert.ok(compactions >= 2, `compacted ${compactions} times`);
  assert.ok(fs.statSync(journalPath(file)).size <= Math.max(4096, fs.statSync(file).size));
  assert.deepEqual(contents(await open(file)), contents(db));
});

test("a kill between a compaction's new snapshot and its emptied journal replays the old journal harmlessly", async () => {
  const file = temporaryFile("window.json");
  const db = await open(file);
  db.addCollection("kept", { indices: ["a"] }).insert([{ a: 1 }, { a: 2 }]);
  db.addCollection("gone").insert({ a: 1 });
  await save(db); // the first save: a snapshot holding both
  db.getCollection("kept").insert({ a: 3 });
  db.getCollection("gone").insert({ a: 2 });
  await save(db);
  db.removeCollection("gone");
  db.addCollection("recreated").insert({ b: 1 });
  await save(db);
  const journal = fs.readFileSync(journalPath(file));
  db.persistenceAdapter.compact(file);
  fs.writeFileSync(journalPath(file), journal); // as if the kill came before the truncation

  assert.deepEqual(contents(await open(file)), contents(db));

  fs.writeFileSync(journalPath(file), journal.subarray(0, journal.indexOf("\n") + 1)); // the drop of "gone" cut off
  await assert.rejects(open(file), /changes collections that neither the snapshot nor the journal created: gone/);
});

test("a save costs a small fraction of the whole-file save it replaces on a large table", async () => {
  const file = temporaryFile("large.json");
  const db = await open(file);
  const history = db.addCollection("history", { indices: ["PartitionKey", "RowKey"] });
  for (let i = 0; i < 60000; i += 1) {
    history.insert(entity(i % 2000, i, { EventType: "TaskScheduled", Input: "z".repeat(400) }));
  }
  await save(db);
  const rounds = 20;
  let journaled = 0;
  for (let round = 0; round < rounds; round += 1) {
    for (let i = 0; i < 20; i += 1) {
      history.insert(entity(round, `${round}-${i}`, { EventType: "TaskCompleted" }));
    }
    const start = process.hrtime.bigint();
    await save(db);
    journaled += Number(process.hrtime.bigint() - start);
  }
  const start = process.hrtime.bigint();
  fs.writeFileSync(`${file}.whole`, db.serialize());
  const whole = Number(process.hrtime.bigint() - start);
  assert.ok(journaled / rounds <= whole / 10, `journal save ${(journaled / rounds / 1e6).toFixed(2)} ms, whole-file save ${(whole / 1e6).toFixed(1)} ms`);
});

test("Azurite's table store, left without a close as a kill leaves it, reopens with what its last autosave held", async () => {
  const Store = require(require("../lib/table-store").STORE_MODULE).default;
  const file = temporaryFile("__azurite_db_table__.json");
  const context = { contextID: "journal-test" };
  const account = "devstoreaccount1";
  const killed = new Store(file, false);
  await killed.init();
  await killed.createTable(context, { account, table: "hubInstances" });
  for (let row = 0; row < 30; row += 1) {
    const properties = { PartitionKey: `instance-${row % 3}`, RowKey: "", RuntimeStatus: "Running" };
    await killed.insertTableEntity(context, "hubInstances", account, {
      PartitionKey: properties.PartitionKey, RowKey: String(row), properties, lastModifiedTime: new Date(0).toISOString(), eTag: `"${row}"`,
    }, "");
  }
  await killed.deleteTableEntity(context, "hubInstances", account, "instance-1", "4", "*", "");
  await new Promise(resolve => setTimeout(resolve, 1500)); // past one autosave
  killed.db.autosaveDisable();

  const reopened = new Store(file, false);
  await reopened.init();
  const [rows] = await reopened.queryTableEntities(context, account, "hubInstances", { filter: "PartitionKey eq 'instance-1'" });
  assert.deepEqual(rows.map(row => row.RowKey), ["1", "10", "13", "16", "19", "22", "25", "28", "7"]);
  reopened.db.autosaveDisable();
});
