"use strict";
// Append-only JSON-lines journal. Each line is one mutation record; a torn last line (a crash in the
// middle of a write) is dropped on load. Writes are synchronous so a response is only sent after its
// record reached the OS; fsync per write is optional (off by default: a killed process loses nothing,
// only a power loss could).
const fs = require("fs");
const path = require("path");

const FILE = "journal.jsonl";
const READ_CHUNK = 16 * 1024 * 1024;
// The journal is compacted while running once it has grown past this and doubled since the last
// compaction: without it, a busy stand-in (benchmarks) grows it to gigabytes.
const COMPACT_AT_BYTES = 64 * 1024 * 1024;

/**
 * Streams the records to onRecord, chunk by chunk, so a journal of any size loads (one string of the
 * whole file would hit V8's string limit); returns { count, skipped } where skipped counts unreadable lines.
 */
function forEachRecord(file, onRecord) {
  if (!fs.existsSync(file)) return { count: 0, skipped: 0 };
  const fd = fs.openSync(file, "r");
  const buffer = Buffer.alloc(READ_CHUNK);
  let rest = Buffer.alloc(0);
  let count = 0;
  let skipped = 0;
  const handle = line => {
    const text = line.toString("utf8");
    if (!text.trim()) return;
    let record;
    try {
      record = JSON.parse(text);
    } catch {
      skipped += 1;
      return;
    }
    onRecord(record);
    count += 1;
  };
  try {
    for (;;) {
      const read = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      let data = Buffer.concat([rest, buffer.subarray(0, read)]);
      let newline;
      while ((newline = data.indexOf(10)) >= 0) {
        handle(data.subarray(0, newline));
        data = data.subarray(newline + 1);
      }
      rest = Buffer.from(data);
    }
    handle(rest);
  } finally {
    fs.closeSync(fd);
  }
  return { count, skipped };
}

/** Reads all records; returns { records, skipped } where skipped counts unreadable lines. */
function readJournal(file) {
  const records = [];
  const { skipped } = forEachRecord(file, record => records.push(record));
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
  constructor(dir, { fsync = false, compactAtBytes = COMPACT_AT_BYTES } = {}) {
    this.dir = dir;
    this.file = path.join(dir, FILE);
    this.fsync = fsync;
    this.fd = null;
    this.compactAtBytes = compactAtBytes;
    this.snapshot = null;
  }

  /** Streams the records written so far (before open()) to onRecord; returns { count, skipped }. */
  replay(onRecord) {
    fs.mkdirSync(this.dir, { recursive: true });
    return forEachRecord(this.file, onRecord);
  }

  /**
   * Rewrites the journal as the current state and opens it for appending; snapshot() returns that state's
   * records and is called again whenever the journal outgrows its threshold.
   */
  compactAndOpen(snapshot) {
    this.snapshot = snapshot;
    this.compact();
  }

  compact() {
    if (this.fd !== null) fs.closeSync(this.fd);
    writeSnapshot(this.file, this.snapshot());
    this.size = fs.statSync(this.file).size;
    this.threshold = Math.max(this.compactAtBytes, 2 * this.size);
    this.fd = fs.openSync(this.file, "a");
  }

  append(record) {
    if (this.fd === null) throw new Error("journal is not open");
    const line = `${JSON.stringify(record)}\n`;
    fs.writeSync(this.fd, line);
    if (this.fsync) fs.fdatasyncSync(this.fd);
    this.size += Buffer.byteLength(line);
    // The record is already in the state the snapshot reads, so compacting after it loses nothing.
    if (this.size > this.threshold) this.compact();
  }

  close() {
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }
}

module.exports = { Journal, readJournal, forEachRecord, writeSnapshot, FILE };
