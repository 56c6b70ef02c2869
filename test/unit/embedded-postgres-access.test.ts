import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertPostgresUserCanReach } from '../../db/embedded';

describe('the embedded PostgreSQL as root', function () {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'pg-access-'));
    chmodSync(root, 0o755);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('refuses at once, saying what to do, when a directory above the binaries shuts other users out', function () {
    const home = join(root, 'home');
    mkdirSync(join(home, 'checkout', 'bin'), { recursive: true });
    chmodSync(home, 0o700);
    assert.throws(
      () => assertPostgresUserCanReach([join(home, 'checkout', 'bin', 'postgres')]),
      (err: Error) =>
        err.message.includes(`cannot enter ${home} (mode 0700)`) &&
        err.message.includes('Set DATABASE_URL') &&
        err.message.includes(`chmod o+x ${home}`),
    );
  });

  it('accepts paths every user may reach, including a data directory that does not exist yet', function () {
    mkdirSync(join(root, 'checkout', 'bin'), { recursive: true });
    assert.doesNotThrow(() =>
      assertPostgresUserCanReach([join(root, 'checkout', 'bin', 'postgres'), join(root, 'checkout', '.data', 'postgres')]),
    );
  });
});
