#!/usr/bin/env node
"use strict";
// Azurite (pinned in ../package.json) with its queue store's index rebuilds (lib/queue-store.js) and its table store's
// whole-table scans for one partition (lib/table-store.js) fixed, and its stores saved as journals of what changed
// instead of whole files every 5 s (lib/journal.js).
// Takes Azurite's own command line: node server.js --queuePort 10001 --location DIR ...
const path = require("path");
const { patchLoki } = require("./lib/journal");
const { patchQueueStore } = require("./lib/queue-store");
const { patchTableStore } = require("./lib/table-store");

patchLoki();
patchQueueStore();
patchTableStore();
require(path.join(__dirname, "..", "node_modules", "azurite", "dist", "src", "azurite.js"));
