import { strict as assert } from 'node:assert';
import { isDeterministicSqlState } from '../../db/sqlstate';

describe('which database errors are worth retrying', function () {
  it('never retries data, constraint, syntax and PL/pgSQL errors: they fail the same way again', function () {
    for (const sqlState of ['22003', '22P02', '23505', '23503', '23514', '42703', '42P01', '2BP01', '2D000', 'P0001']) {
      assert.equal(isDeterministicSqlState(sqlState), true, sqlState);
    }
  });

  it('retries what may heal: serialization failures, deadlocks, lost connections, exhausted resources, shutdowns', function () {
    for (const sqlState of ['40001', '40P01', '08006', '08001', '53300', '57P01', '57P03', '55P03']) {
      assert.equal(isDeterministicSqlState(sqlState), false, sqlState);
    }
  });
});
