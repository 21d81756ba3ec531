"use strict";
// One place that reaches into @vercel/cosmosdb-server's compiled lib/, so a package upgrade that moves
// a module breaks here, loudly, instead of somewhere in the request path.
const path = require("path");

const LIB = path.join(__dirname, "..", "..", "node_modules", "@vercel", "cosmosdb-server", "lib");
const load = name => require(path.join(LIB, name));

module.exports = {
  Account: load("account").default,
  routes: load("routes").default,
  readJson: load("json").default,
  parsePartitionKeyHeader: load("utils/get-partition-from-header").parsePartitionKey,
  // Resource ids (_rid), which the wrapper makes URL-safe (see resource-id.js).
  ResourceId: load("account/resource-id").default,
  // The query engine the package itself uses; resolved from the package so versions stay in step.
  cosmosQuery: require(require.resolve("@zeit/cosmosdb-query", { paths: [LIB] })).default,
  // Its executor and helpers, for generated code and a helper the wrapper fixed (see compile.js).
  queryExecutor: require(require.resolve("@zeit/cosmosdb-query/lib/executor", { paths: [LIB] })).default,
  queryHelpers: require(require.resolve("@zeit/cosmosdb-query/lib/helpers", { paths: [LIB] }))
};
