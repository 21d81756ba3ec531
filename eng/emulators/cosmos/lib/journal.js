"use strict";
// Append-only JSON-lines journal. Each line is one mutation record; a torn last line (a crash in the
// middle of a write) is dropped on load. Writes are synchronous so a response is only sent after its
// record reached the OS; fsync per write is optional (off by default: a killed process loses nothing,
// only a power loss could).
const fs = require("fs");
const path = require("path");

const FILE = "journal.jsonl";

/** Reads all records; returns { records, skipped } where skipped counts unreadable lines. */
function readJournal(file) {
  if (!fs.existsSync(file)) return { records: [], skipped: 0 };
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const records = [];
  let skipped = 0;
  for (const line of lines) {
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      skipped += 1;
    }
  }
  return { records, skipped };
}

function fsyncDir(dir) {
  let fd;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Atomically replaces the journal with the given records (write temp, fsync, rename). */
function writeSnapshot(file, records) {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, "w");
  try {
    const chunk = [];
    for (const record of records) {
      chunk.push(JSON.stringify(record));
      if (chunk.length >= 1000) {
        fs.writeSync(fd, `${chunk.join("\n")}\n`);
        chunk.length = 0;
      }
    }
    if (chunk.length) fs.writeSync(fd, `${chunk.join("\n")}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

class Journal {
  constructor(dir, { fsync = false } = {}) {
    this.dir = dir;
    this.file = path.join(dir, FILE);
    this.fsync = fsync;
    this.fd = null;
  }

  /** Loads the records written so far (before open()). */
  load() {
    fs.mkdirSync(this.dir, { recursive: true });
    return readJournal(this.file);
  }

  /** Rewrites the journal as the given snapshot and opens it for appending. */
  compactAndOpen(snapshot) {
    writeSnapshot(this.file, snapshot);
    this.fd = fs.openSync(this.file, "a");
  }

  append(record) {
    if (this.fd === null) throw new Error("journal is not open");
    fs.writeSync(this.fd, `${JSON.stringify(record)}\n`);
    if (this.fsync) fs.fdatasyncSync(this.fd);
  }

  close() {
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }
}

module.exports = { Journal, readJournal, writeSnapshot, FILE };
