"use strict";
// Resource ids (_rid) as Cosmos DB writes them: base64 with '-' in place of '/', because the SDK puts them in
// request paths (/dbs/{rid}/colls/{rid}/pkranges for every cross-partition query). The package writes plain
// base64, so every 64th database (the 63rd, 127th, ...) got a rid with '/', its paths did not route, and each
// cross-partition query on it failed with 404 or 400 for the life of the process (found when a test's database
// was the 127th of the stand-in's run). The package reads '-' back for the first one only; both directions are
// replaced here, in memory, at load time. Rids journaled before this keep their '/': those databases stay broken
// until the data directory is reset.
const { ResourceId } = require("./package");

/** Plain base64 → the URL-safe form Cosmos DB uses. */
const toRid = buffer => buffer.toString("base64").replace(/\//g, "-");

/** The URL-safe form (or plain base64) → bytes. */
const fromRid = rid => Buffer.from(rid.replace(/-/g, "/"), "base64");

ResourceId.toBase64String = toRid;
ResourceId.fromBase64String = fromRid;

module.exports = { toRid, fromRid };
