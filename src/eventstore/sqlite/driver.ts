/**
 * The SQLite driver for the running Node.js. better-sqlite3 12 builds its objects on
 * node::ObjectWrap, whose destructor on Node 24 asserts a live environment, so a statement the
 * garbage collector frees at the wrong moment aborts the process ("Assertion failed: (env) !=
 * nullptr" in Statement::~Statement). Version 13, a Node-API port shipping prebuilt binaries, has
 * no such destructor but needs Node 22 and crashes on 20. Each Node loads the one that works on
 * it; both expose the same API, typed here by 12's declarations. Both are optional dependencies
 * whose engines tell npm which Node installs which: 12 comes through drivers/sqlite-node20, so
 * npm on Node 22+ neither installs nor builds it.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const nodeMajor = Number(process.versions.node.split('.')[0]);

export const driverPackage = nodeMajor >= 22 ? 'better-sqlite3-node22' : 'sqlite-driver-node20';

const Database: typeof BetterSqlite3 = createRequire(import.meta.url)(driverPackage);
export default Database;
