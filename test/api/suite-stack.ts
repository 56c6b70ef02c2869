import { seedCustomer } from '../support/catalog';
import { startStack, type Stack, type StackOptions } from '../support/stack';

/** The customers whose keys every stack accepts (KEYS.alice, KEYS.bob): they exist and may order. */
export const KEYED_CUSTOMERS = ['alice', 'bob'] as const;

/**
 * The suite's stack: started before its first test, stopped after its last, with the keyed
 * customers created. Mocha registers the hooks at describe time, before the stack exists, so
 * what is returned forwards to the stack started in `before` (reading it earlier throws).
 */
export function suiteStack(options?: StackOptions): Stack {
  let started: Stack | undefined;
  before(async () => {
    started = await startStack(options);
    for (const id of KEYED_CUSTOMERS) await seedCustomer(started.database.db, { id });
  });
  after(async () => {
    await started?.stop();
  });
  return new Proxy({} as Stack, {
    get(_target, property) {
      if (!started) throw new Error('the suite stack is used before its before() hook ran');
      return started[property as keyof Stack];
    },
  });
}
