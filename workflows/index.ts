/** The worker bundles this module: every workflow the order service runs: order sagas and stock holds. */
export { orderWorkflow } from './order';
export { stockHoldWorkflow } from './stock-hold';
