"use strict";
// Azurite keeps each store (blob, queue, table, extents) in a LokiJS database that autosaves every 5 s by serializing
// the whole database into one JSON file. A task hub's history table makes that file large (121 MB in the fault suite's
// large profile), and each save then blocked Azurite's one thread for about a second, every 5 s, under load and at rest
// alike (any single write makes the next autosave rewrite its whole store). Here, a database Azurite opens on disk with
// autosave gets LokiJS's incremental adapter mode instead: LokiJS records the ids of the documents each collection
// changed, and a save appends only those documents (or their deletion) as one JSON line to `<file>.journal`. Loading
// reads the last full snapshot (`<file>`, the format LokiJS and Azurite always wrote) and replays the journal over it.
// When the journal outgrows the snapshot (and 64 MiB), a save writes a new snapshot and empties the journal.
// Saves run every second instead of every 5 s, so a killed Azurite loses at most a second of what it acknowledged.
// (Not less: LokiJS hands an incremental adapter a shallow copy of the database, 12-16 ms at 150,000 documents.)
const fs = require("fs");
const path = require("path");

const LOKI_MODULE = path.join(__dirname, "..", "..", "node_modules", "lokijs");
const SAVE_INTERVAL_MS = 1000;
const MIN_COMPACTION_BYTES = 64 * 1024 * 1024;
const CLEARED = Symbol("cleared since the last save"); // a symbol, so a snapshot never serializes it

// Collection settings LokiJS's loadJSONObject reads from a serialized collection, besides its documents and indexes.
const SETTINGS = ["disableChangesApi", "disableDeltaChangesApi", "disableMeta", "disableFreeze", "adaptiveBinaryIndices",
  "transactional", "asyncListeners", "cloneObjects", "cloneMethod", "autoupdate", "transforms", "uniqueNames"];

/** A LokiJS persistence adapter in incremental mode: snapshot file plus a journal of changed documents. */
class JournalAdapter {
  constructor(db, minCompactionBytes = MIN_COMPACTION_BYTES) {
    this.mode = "incremental";
    this.db = db;
    this.minCompactionBytes = minCompactionBytes;
    this.fd = undefined;
    this.journalBytes = 0;
    this.snapshotBytes = 0;
    this.saved = new Map(); // collection name -> the collection object the journal last wrote it from
  }

  loadDatabase(dbname, callback) {
    let object;
    let touched;
    try {
      ({ object, touched } = this.read(dbname));
    } catch (error) {
      callback(error);
      return;
    }
    callback(object);
    for (const collection of this.db.collections) {
      if (touched.has(collection.name)) {
        collection.ensureAllIndexes(true);
      }
      collection.dirtyIds = [];
      this.saved.set(collection.name, collection);
    }
  }

  saveDatabase(dbname, getLokiCopy, callback) {
    try {
      const copy = getLokiCopy();
      if (this.fd === undefined) {
        this.compact(dbname); // a database saved before it was loaded: the snapshot takes everything
      } else {
        this.append(dbname, this.changes(copy));
      }
      callback(null);
    } catch (error) {
      callback(error);
    }
  }

  deleteDatabase(dbname, callback) {
    this.close();
    for (const file of [dbname, journalPath(dbname)]) {
      fs.rmSync(file, { force: true });
    }
    callback();
  }

  close() {
    if (this.fd !== undefined) {
      fs.closeSync(this.fd);
      this.fd = undefined;
    }
  }

  /** The snapshot with the journal replayed over it, as the plain object LokiJS's loadJSONObject takes. */
  read(dbname) {
    const snapshot = readIfPresent(dbname);
    this.snapshotBytes = snapshot === undefined ? 0 : Buffer.byteLength(snapshot);
    const object = snapshot === undefined ? { name: dbname, databaseVersion: 1.5, collections: [] } : JSON.parse(snapshot);
    const journal = journalPath(dbname);
    const text = readIfPresent(journal) ?? "";
    // A line without its newline is a save cut short by a kill: dropped, like every write since the last complete save.
    const end = text.lastIndexOf("\n") + 1;
    const replay = new Replay(object);
    text.slice(0, end).split("\n").forEach((line, index) => {
      if (line.length > 0) {
        let record;
        try {
          record = JSON.parse(line);
        } catch (error) {
          throw new Error(`${journal}: line ${index + 1} is not a journal record (${error.message})`);
        }
        replay.apply(record);
      }
    });
    replay.finish();
    this.journalBytes = Buffer.byteLength(text.slice(0, end));
    this.fd = fs.openSync(journal, "a");
    fs.ftruncateSync(this.fd, this.journalBytes);
    return { object, touched: replay.touched };
  }

  /** One journal record: every collection created, dropped or changed since the last save, with the documents changed. */
  changes(copy) {
    const collections = [];
    const present = new Set();
    for (const { name, dirtyIds } of copy.collections) {
      const collection = this.db.getCollection(name);
      present.add(name);
      if (this.saved.get(name) !== collection || collection[CLEARED]) {
        collections.push({ name, settings: settingsOf(collection), maxId: collection.maxId, upserts: collection.data, deletes: [] });
        this.saved.set(name, collection);
        delete collection[CLEARED];
      } else if (dirtyIds.length > 0) {
        const upserts = [];
        const deletes = [];
        for (const id of new Set(dirtyIds)) {
          const document = collection.get(id);
          if (document === null) {
            deletes.push(id);
          } else {
            upserts.push(document);
          }
        }
        collections.push({ name, maxId: collection.maxId, upserts, deletes });
      }
    }
    const drops = [...this.saved.keys()].filter(name => !present.has(name));
    drops.forEach(name => this.saved.delete(name));
    return collections.length === 0 && drops.length === 0 ? undefined : { collections, drops };
  }

  append(dbname, record) {
    if (record === undefined) {
      return;
    }
    const line = `${JSON.stringify(record)}\n`;
    const bytes = Buffer.byteLength(line);
    if (this.journalBytes + bytes > Math.max(this.minCompactionBytes, this.snapshotBytes)) {
      this.compact(dbname);
      return;
    }
    fs.writeSync(this.fd, line);
    this.journalBytes += bytes;
  }

  /** Writes the whole database as a new snapshot (written aside, then renamed over the old one) and empties the journal. */
  compact(dbname) {
    const text = this.db.serialize();
    fs.writeFileSync(`${dbname}~`, text);
    fs.renameSync(`${dbname}~`, dbname);
    this.snapshotBytes = Buffer.byteLength(text);
    this.fd ??= fs.openSync(journalPath(dbname), "a");
    fs.ftruncateSync(this.fd, 0);
    this.journalBytes = 0;
    this.saved = new Map(this.db.collections.map(collection => [collection.name, collection]));
    this.db.collections.forEach(collection => delete collection[CLEARED]);
  }
}

/** Applies journal records to a serialized database, one collection at a time through a map of its documents by id. */
class Replay {
  constructor(object) {
    this.object = object;
    this.documents = new Map(); // collection name -> Map($loki -> document)
    this.touched = new Set();
    // Collections changed that neither the snapshot nor the journal created. Legitimate only when the journal drops
    // them later: a kill between a compaction's rename and its truncation leaves the old journal over the new snapshot.
    this.orphans = new Set();
  }

  apply(record) {
    for (const name of record.drops) {
      this.object.collections = this.object.collections.filter(collection => collection.name !== name);
      this.documents.delete(name);
      this.orphans.delete(name);
    }
    for (const change of record.collections) {
      const documents = this.collection(change);
      if (documents === undefined) {
        this.orphans.add(change.name);
        continue;
      }
      change.deletes.forEach(id => documents.delete(id));
      change.upserts.forEach(document => documents.set(document.$loki, document));
      this.object.collections.find(collection => collection.name === change.name).maxId = change.maxId;
      this.touched.add(change.name);
    }
  }

  /** The documents of the collection a change is for, by id; undefined when there is no such collection. */
  collection(change) {
    if (change.settings !== undefined) {
      const { indices, ...settings } = change.settings;
      const binaryIndices = Object.fromEntries(indices.map(name => [name, { name, dirty: true, values: [] }]));
      this.object.collections = this.object.collections.filter(collection => collection.name !== change.name);
      this.object.collections.push({ ...settings, name: change.name, data: [], maxId: 0, binaryIndices });
      this.documents.set(change.name, new Map());
      this.orphans.delete(change.name);
    }
    if (!this.documents.has(change.name)) {
      const collection = this.object.collections.find(candidate => candidate.name === change.name);
      if (collection === undefined) {
        return undefined;
      }
      this.documents.set(change.name, new Map(collection.data.map(document => [document.$loki, document])));
    }
    return this.documents.get(change.name);
  }

  finish() {
    if (this.orphans.size > 0) {
      throw new Error(`the journal changes collections that neither the snapshot nor the journal created: ${[...this.orphans].join(", ")}`);
    }
    for (const [name, documents] of this.documents) {
      const collection = this.object.collections.find(candidate => candidate.name === name);
      collection.data = [...documents.values()].sort((a, b) => a.$loki - b.$loki);
      collection.idIndex = null;
    }
  }
}

function settingsOf(collection) {
  const settings = Object.fromEntries(SETTINGS.map(name => [name, collection[name]]));
  return { ...settings, indices: Object.keys(collection.binaryIndices) };
}

function journalPath(dbname) {
  return `${dbname}.journal`;
}

function readIfPresent(file) {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    if (error.code === "ENOENT") {
      return undefined;
    }
    throw error;
  }
}

/**
 * Gives every LokiJS database opened with `persistenceMethod: "fs"` and autosave (Azurite's four on-disk stores) the
 * journal adapter and a 1 s save interval; other databases (in-memory stores, LokiJS's own copies) are untouched.
 * Throws when the pinned LokiJS is not the 1.5.12 this was written for.
 */
function patchLoki(Loki = require(LOKI_MODULE)) {
  const version = require(path.join(LOKI_MODULE, "package.json")).version;
  if (version !== "1.5.12" || !/mode === "incremental"/.test(Loki.prototype.saveDatabaseInternal.toString())) {
    throw new Error(`lokijs ${version} is not the 1.5.12 whose incremental adapter mode the Azurite journal was written for`);
  }
  const configureOptions = Loki.prototype.configureOptions;
  Loki.prototype.configureOptions = function journaledOptions(options, initialConfig) {
    if (initialConfig && options?.persistenceMethod === "fs" && options.autosave === true) {
      const journaled = { ...options, adapter: new JournalAdapter(this), autosaveInterval: SAVE_INTERVAL_MS };
      delete journaled.persistenceMethod;
      return configureOptions.call(this, journaled, initialConfig);
    }
    return configureOptions.call(this, options, initialConfig);
  };
  // clear() empties a collection and restarts its ids without recording them as changed: the next save rewrites it whole.
  const clear = Loki.Collection.prototype.clear;
  Loki.Collection.prototype.clear = function journaledClear(options) {
    if (this.isIncremental) {
      this[CLEARED] = true;
    }
    return clear.call(this, options);
  };
  return Loki;
}

module.exports = { patchLoki, JournalAdapter, journalPath, LOKI_MODULE };
