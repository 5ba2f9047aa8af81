/**
 * The SQLite driver for the running Node.js. better-sqlite3 12 builds its objects on
 * node::ObjectWrap, whose destructor on Node 24 asserts a live environment, so a statement the
 * garbage collector frees at the wrong moment aborts the process ("Assertion failed: (env) !=
 * nullptr" in Statement::~Statement). Version 13, a Node-API port shipping prebuilt binaries, has
 * no such destructor but needs Node 22 and crashes on 20. Each Node loads the one that works on
 * it; both expose the same API, typed here by 12's declarations.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const nodeMajor = Number(process.versions.node.split('.')[0]);

export const driverPackage = nodeMajor >= 22 ? 'better-sqlite3-node22' : 'better-sqlite3';

const Database: typeof BetterSqlite3 = createRequire(import.meta.url)(driverPackage);
export default Database;
