#!/usr/bin/env node
"use strict";
// Cosmos DB NoSQL stand-in for local development: @vercel/cosmosdb-server's handlers wrapped with the
// fixes the .NET SDK (Gateway mode) needs, plus a journal under --data so data survives restarts.
//   node server.js [--port 8081] [--host 127.0.0.1] [--data DIR] [--fsync] [--log-requests]
// Environment: COSMOS_PORT, COSMOS_HOST, COSMOS_DATA_DIR, COSMOS_FSYNC=1, COSMOS_LOG_REQUESTS=1.
const path = require("path");
const { startCosmos } = require("./lib/app");

function parseArgs(argv, env) {
  const args = {
    port: parseInt(env.COSMOS_PORT || "8081", 10),
    host: env.COSMOS_HOST || "127.0.0.1",
    dataDir: env.COSMOS_DATA_DIR || path.join(process.cwd(), ".local", "data", "cosmos"),
    fsync: env.COSMOS_FSYNC === "1",
    logRequests: env.COSMOS_LOG_REQUESTS === "1"
  };
  for (let i = 0; i < argv.length; i += 1) {
    const key = argv[i];
    const value = () => {
      i += 1;
      if (i >= argv.length) throw new Error(`${key} needs a value`);
      return argv[i];
    };
    switch (key) {
      case "--port": args.port = parseInt(value(), 10); break;
      case "--host": args.host = value(); break;
      case "--data": args.dataDir = path.resolve(value()); break;
      case "--fsync": args.fsync = true; break;
      case "--log-requests": args.logRequests = true; break;
      default: throw new Error(`unknown argument: ${key}`);
    }
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new Error(`invalid port: ${args.port}`);
  return args;
}

const log = line => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

async function main() {
  const args = parseArgs(process.argv.slice(2), process.env);
  const cosmos = await startCosmos({ ...args, log });
  const shutdown = signal => {
    log(`${signal}: stopping`);
    cosmos.close().then(() => process.exit(0));
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

if (require.main === module) {
  main().catch(err => {
    process.stderr.write(`cosmos stand-in failed to start: ${err.stack || err.message}\n`);
    process.exit(1);
  });
}

module.exports = { parseArgs };
