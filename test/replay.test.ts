import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { sharedWorkflowBundle } from './support/temporal';

/** Histories of real sagas, written by `npm run record:histories`. */
const HISTORIES_DIR = join(__dirname, 'fixtures', 'histories');
const historyFiles = readdirSync(HISTORIES_DIR)
  .filter((name) => name.endsWith('.json'))
  .sort();

// A change to workflow code that running sagas depend on must be guarded with patched(); replaying
// recorded histories against the current code catches one that is not.
describe('replaying recorded order sagas against the current workflow code', function () {
  it('has recorded histories to replay', function () {
    assert.ok(historyFiles.length > 0, `no *.json under ${HISTORIES_DIR}: run \`npm run record:histories\``);
  });

  for (const file of historyFiles) {
    it(`replays ${file} without a nondeterminism error`, async function () {
      const history = historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')));
      assert.ok((history.events?.length ?? 0) > 0, `${file} holds no events`);
      await Worker.runReplayHistory({ workflowBundle: await sharedWorkflowBundle() }, history, file);
    });
  }
});
