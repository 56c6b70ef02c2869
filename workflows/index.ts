/** The worker bundles this module: every workflow the order service runs. */
export { orderWorkflow } from './order';
