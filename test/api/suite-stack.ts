import { startStack, type Stack, type StackOptions } from '../support/stack';

/**
 * The suite's stack: started before its first test, stopped after its last. Mocha registers the
 * hooks at describe time, before the stack exists, so what is returned forwards to the stack
 * started in `before` (reading it earlier throws).
 */
export function suiteStack(options?: StackOptions): Stack {
  let started: Stack | undefined;
  before(async () => {
    started = await startStack(options);
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
