/**
 * Multi-row INSERTs: one statement per `rowsPerStatement` rows instead of one per row, since
 * each statement run costs a crossing into SQLite and a B-tree descent of its own.
 */
import type Database from 'better-sqlite3';

/** Inserts rows (each `columns` values) into `target` ("table (a, b)"), in the caller's transaction. */
export function multiRowInsert<Row extends readonly unknown[]>(
  db: Database.Database,
  target: string,
  columns: number,
  rowsPerStatement: number,
): (rows: readonly Row[]) => void {
  // One prepared statement per row count met, at most rowsPerStatement of them.
  const statements = new Map<number, Database.Statement<unknown[]>>();
  const placeholders = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
  const statementFor = (count: number) => {
    let statement = statements.get(count);
    if (statement === undefined) {
      const values = Array.from({ length: count }, () => placeholders).join(', ');
      statement = db.prepare(`INSERT INTO ${target} VALUES ${values}`);
      statements.set(count, statement);
    }
    return statement;
  };
  return (rows) => {
    for (let from = 0; from < rows.length; from += rowsPerStatement) {
      const chunk = rows.slice(from, from + rowsPerStatement);
      statementFor(chunk.length).run(chunk.flat());
    }
  };
}
