"use strict";
// The account state shared with the package's handlers, plus what the package lacks: a per-container
// LSN, creation order for stable paging, and conversion to and from journal records.
//
// Journal records (one JSON object per line):
//   { op: "putDb", db, rc }                       database created (rc = the package's rid counter)
//   { op: "delDb", id }
//   { op: "putColl", db, coll, rc, docRc, lsn }    container created or replaced
//   { op: "delColl", db, id }
//   { op: "putDoc", db, coll, doc, docRc, lsn }    document as stored (with _etag, _ts, _lsn, _rid)
//   { op: "delDoc", db, coll, id, partition, lsn }
const { Account } = require("./package");
const { partitionValue } = require("./partition");

const lsnByDocuments = new WeakMap();

function createAccount(host, port) {
  const account = new Account(host, port);
  // The package advertises https:// endpoints; the stand-in serves plain HTTP.
  const data = account.read();
  for (const location of [...data.writableLocations, ...data.readableLocations]) {
    location.databaseAccountEndpoint = `http://${host}:${port}/`;
  }
  return account;
}

/** The live Database object, or null. */
function findDatabase(account, dbId) {
  const db = account.database(dbId);
  return db.read() ? db : null;
}

/** The live Collection object, or null. */
function findCollection(account, dbId, collId) {
  const db = findDatabase(account, dbId);
  if (!db) return null;
  const coll = db.collection(collId);
  return coll.read() ? coll : null;
}

function partitionPaths(collection) {
  const data = collection.read();
  return ((data && data.partitionKey) || {}).paths || ["/id"];
}

function currentLsn(collection) {
  return lsnByDocuments.get(collection.documents) || 0;
}

function nextLsn(collection) {
  const lsn = currentLsn(collection) + 1;
  lsnByDocuments.set(collection.documents, lsn);
  return lsn;
}

function raiseLsn(collection, lsn) {
  if (lsn > currentLsn(collection)) lsnByDocuments.set(collection.documents, lsn);
}

/**
 * Creation ordinal encoded in a document _rid by the package: bytes 8-15 are the document part, whose
 * first four bytes hold the package's rid counter, little-endian.
 */
function creationOrdinal(rid) {
  const bytes = Buffer.from(String(rid), "base64");
  return bytes.length >= 16 ? bytes.readUInt32LE(8) : Number.MAX_SAFE_INTEGER;
}

// Creation ordinal by _rid: a _rid never changes, and decoding it for every document of every query was most of
// a query's cost once a container held tens of thousands of documents.
const ordinalByRid = new Map();

function cachedOrdinal(rid) {
  let ordinal = ordinalByRid.get(rid);
  if (ordinal === undefined) {
    ordinal = creationOrdinal(rid);
    ordinalByRid.set(rid, ordinal);
  }
  return ordinal;
}

/**
 * The documents of a container that `keep` accepts (all by default), in creation order (stable across replaces).
 * Filtering first means a partition-scoped query sorts only its partition.
 */
function documentsInOrder(collection, keep) {
  const kept = [];
  for (const item of collection.documents._data.values()) {
    const doc = item.read();
    if (!keep || keep(doc)) kept.push([cachedOrdinal(doc._rid), doc]);
  }
  return kept.sort((a, b) => a[0] - b[0]).map(([, doc]) => doc);
}

/** The stored document for id within the document's own partition (after a write). */
function storedDocument(collection, doc) {
  const partition = collection.documents._getPartition(doc);
  return collection.documents._item("/id", doc.id, partition).read() || null;
}

/**
 * Stamps the next LSN on a freshly written document and returns its journal record, or null when the
 * document is no longer stored (nothing to record).
 */
function recordDocumentWrite(dbId, collection, doc) {
  const stored = doc && storedDocument(collection, doc);
  if (!stored) return null;
  const lsn = nextLsn(collection);
  stored._lsn = lsn;
  doc._lsn = lsn;
  return { op: "putDoc", db: dbId, coll: collection.read().id, doc: stored, docRc: collection.documents._ridCount, lsn };
}

function recordDocumentDelete(dbId, collection, doc) {
  const lsn = nextLsn(collection);
  return {
    op: "delDoc",
    db: dbId,
    coll: collection.read().id,
    id: doc.id,
    partition: collection.documents._getPartition(doc),
    lsn
  };
}

function raiseCounter(items, rc) {
  if (Number.isInteger(rc) && rc > items._ridCount) items._ridCount = rc;
}

/** Keeps documents (and their LSN) when the package replaces a container's metadata object. */
function carryOverContents(oldCollection, newCollection) {
  if (!oldCollection || !newCollection || oldCollection === newCollection) return;
  newCollection.documents = oldCollection.documents;
  newCollection.documents._parent = newCollection;
  newCollection.userDefinedFunctions = oldCollection.userDefinedFunctions;
  newCollection.userDefinedFunctions._parent = newCollection;
}

/** Applies one journal record to the account (replay). Unknown ops are an error: never guess. */
function applyRecord(account, record) {
  switch (record.op) {
    case "putDb": {
      if (!findDatabase(account, record.db.id)) account.databases._set(record.db);
      raiseCounter(account.databases, record.rc);
      return;
    }
    case "delDb": {
      if (findDatabase(account, record.id)) account.databases.delete(record.id, record.id);
      return;
    }
    case "putColl": {
      const db = findDatabase(account, record.db);
      if (!db) throw new Error(`journal: container ${record.coll.id} names missing database ${record.db}`);
      const old = findCollection(account, record.db, record.coll.id);
      if (old) db.collections.delete(record.coll.id, record.coll.id);
      db.collections._set(record.coll);
      const coll = findCollection(account, record.db, record.coll.id);
      carryOverContents(old, coll);
      raiseCounter(db.collections, record.rc);
      raiseCounter(coll.documents, record.docRc);
      raiseLsn(coll, record.lsn || 0);
      return;
    }
    case "delColl": {
      const db = findDatabase(account, record.db);
      if (db && findCollection(account, record.db, record.id)) db.collections.delete(record.id, record.id);
      return;
    }
    case "putDoc": {
      const coll = findCollection(account, record.db, record.coll);
      if (!coll) throw new Error(`journal: document names missing container ${record.db}/${record.coll}`);
      const existing = storedDocument(coll, record.doc);
      if (existing) coll.documents.delete(existing.id, coll.documents._getPartition(existing));
      coll.documents._set(record.doc);
      raiseCounter(coll.documents, record.docRc);
      raiseLsn(coll, record.lsn || record.doc._lsn || 0);
      return;
    }
    case "delDoc": {
      const coll = findCollection(account, record.db, record.coll);
      if (!coll) return;
      if (coll.documents._item("/id", record.id, record.partition).read()) {
        coll.documents.delete(record.id, record.partition);
      }
      raiseLsn(coll, record.lsn || 0);
      return;
    }
    case "ridCounter": {
      raiseCounter(account.databases, record.rc);
      return;
    }
    default:
      throw new Error(`journal: unknown record op ${JSON.stringify(record.op)}`);
  }
}

/** The current state as the shortest equivalent journal (used for compaction at start). */
function* snapshotRecords(account) {
  const dbs = account.databases;
  // Even with no database left, the next one must not reuse a _rid: clients cache routing by _rid.
  yield { op: "ridCounter", rc: dbs._ridCount };
  for (const dbItem of dbs._data.values()) {
    const dbData = dbItem.read();
    yield { op: "putDb", db: dbData, rc: dbs._ridCount };
    for (const collItem of dbItem.collections._data.values()) {
      const collData = collItem.read();
      yield {
        op: "putColl",
        db: dbData.id,
        coll: collData,
        rc: dbItem.collections._ridCount,
        docRc: collItem.documents._ridCount,
        lsn: currentLsn(collItem)
      };
      for (const doc of documentsInOrder(collItem)) {
        yield { op: "putDoc", db: dbData.id, coll: collData.id, doc };
      }
    }
  }
}

module.exports = {
  createAccount,
  findDatabase,
  findCollection,
  partitionPaths,
  partitionValue,
  currentLsn,
  nextLsn,
  creationOrdinal,
  documentsInOrder,
  storedDocument,
  recordDocumentWrite,
  recordDocumentDelete,
  carryOverContents,
  applyRecord,
  snapshotRecords
};
