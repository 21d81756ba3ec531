#!/usr/bin/env node
"use strict";
// Azurite (pinned in ../package.json) with its queue store's per-request index rebuild fixed (lib/queue-store.js).
// Takes Azurite's own command line: node server.js --queuePort 10001 --location DIR ...
const path = require("path");
const { patchQueueStore } = require("./lib/queue-store");

patchQueueStore();
require(path.join(__dirname, "..", "node_modules", "azurite", "dist", "src", "azurite.js"));
