import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { EventEnvelope } from '../../domain/events';
import { natsServerPath } from '../../scripts/nats-binaries';
import { eventStreamNames } from '../../workers/event-streams';
import { freePort } from './ports';
import { onTeardown } from './teardown';

export interface TestBroker {
  /** nats://127.0.0.1:<port> */
  url: string;
}

let shared: Promise<TestBroker | undefined> | undefined;

/**
 * The NATS server tests publish to: NATS_URL when set (CI's machine server), otherwise the pinned
 * `nats-server` started once for the run on a free port with a storage directory of its own.
 * Undefined when neither can run, so suites skip; under CI=true that is an error instead.
 */
export function testBroker(): Promise<TestBroker | undefined> {
  shared ??= (async () => {
    if (process.env.NATS_URL) return { url: process.env.NATS_URL };
    let binary: string;
    try {
      binary = natsServerPath();
    } catch (err) {
      if (process.env.CI === 'true') throw err;
      console.warn(`skipping NATS tests: ${(err as Error).message}`);
      return undefined;
    }
    const port = await freePort();
    const storage = mkdtempSync(join(tmpdir(), 'order-saga-test-nats-'));
    const server = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storage], { stdio: 'ignore' });
    onTeardown(async () => {
      await stopProcess(server);
      rmSync(storage, { recursive: true, force: true });
    });
    await waitForPort(port);
    return { url: `nats://127.0.0.1:${port}` };
  })();
  return shared;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${port} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Subject prefixes of their own, so suites sharing a server never meet; their streams go at the end. */
export function uniqueSubjectPrefixes(broker: TestBroker): { subjectPrefix: string; warehousePrefix: string } {
  const tag = `t${randomBytes(4).toString('hex')}`;
  const prefixes = { subjectPrefix: `${tag}.orders-service.`, warehousePrefix: `${tag}.warehouse.` };
  const names = eventStreamNames(prefixes.subjectPrefix, prefixes.warehousePrefix);
  onTeardown(async () => {
    const nc = await connect({ servers: broker.url });
    try {
      const jsm = await jetstreamManager(nc);
      for (const stream of [names.eventStream, names.warehouseStream, names.deadLetterStream]) {
        await jsm.streams.delete(stream).catch(() => false);
      }
    } finally {
      await nc.close();
    }
  });
  return prefixes;
}

/** A client connection that keeps reconnecting for ever (as the worker's does), closed at the end. */
export async function natsClient(url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100, waitOnFirstConnect: true });
  onTeardown(() => nc.close());
  return nc;
}

/**
 * A TCP link in front of the broker that a test can cut: to whoever connects through it, the
 * broker is down (connections dropped, new ones refused) until it is restored.
 */
export interface BrokerLink {
  url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
}

export async function brokerLink(broker: TestBroker): Promise<BrokerLink> {
  const upstream = new URL(broker.url.replace(/^nats:/, 'http:'));
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const target = createConnection(Number(upstream.port || 4222), upstream.hostname);
        for (const socket of [client, target]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => socket.destroy());
        }
        client.pipe(target).pipe(client);
        client.on('close', () => target.destroy());
        target.on('close', () => client.destroy());
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
      server = s;
    });
  const cut = async () => {
    const closing = server;
    server = undefined;
    // close() answers once every connection is gone, so they are dropped first.
    const closed = closing ? new Promise<void>((resolve) => closing.close(() => resolve())) : Promise.resolve();
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  await listen();
  onTeardown(cut);
  return { url: `nats://127.0.0.1:${port}`, cut, restore: () => (server ? Promise.resolve() : listen()) };
}

/** A message as the stream stored it: its subject, its Nats-Msg-Id and the envelope it carries. */
export interface StoredEvent {
  subject: string;
  msgId: string | undefined;
  envelope: EventEnvelope;
}

/** Every message of a stream, in stream order ([] when the stream does not exist yet). */
export async function storedEvents(nc: NatsConnection, stream: string): Promise<StoredEvent[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream).catch(() => undefined);
  if (!info) return [];
  const stored: StoredEvent[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const message = await jsm.streams.getMessage(stream, { seq });
    if (!message) continue;
    stored.push({ subject: message.subject, msgId: message.header.get('Nats-Msg-Id') || undefined, envelope: message.json() });
  }
  return stored;
}

/** Fails unless every subject's events arrived in sequence order, from 1, without gaps. */
export function assertInSequencePerSubject(events: readonly EventEnvelope[]): void {
  const last = new Map<string, number>();
  for (const event of events) {
    const expected = (last.get(event.subject) ?? 0) + 1;
    if (event.sequence !== expected) {
      throw new Error(`subject ${event.subject}: got sequence ${event.sequence} (${event.type}) where ${expected} was due`);
    }
    last.set(event.subject, event.sequence);
  }
}
