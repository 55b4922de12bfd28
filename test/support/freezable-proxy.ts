import { createConnection, createServer, Socket } from 'node:net';

/** A TCP proxy on loopback whose connections can be made to go silent (see {@link startFreezableProxy}). */
export interface FreezableProxy {
  /** The proxy's port; it forwards to the target. */
  port: number;
  /**
   * Silences every connection open now, both ways, without closing it: as when the host at the
   * other end vanishes, or a failover leaves the old connections half-open. Later connections
   * pass.
   */
  freeze(): void;
  close(): Promise<void>;
}

/** Starts a proxy that forwards each connection to `targetPort` on loopback. */
export function startFreezableProxy(targetPort: number): Promise<FreezableProxy> {
  const pairs: Array<[Socket, Socket]> = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const target = createConnection({ host: '127.0.0.1', port: targetPort });
    client.pipe(target).pipe(client);
    for (const socket of [client, target]) socket.on('error', () => client.destroy() && target.destroy());
    pairs.push([client, target]);
    for (const socket of [client, target]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as { port: number }).port,
        freeze: () => {
          for (const [client, target] of pairs.splice(0)) {
            client.unpipe(target);
            target.unpipe(client);
            client.pause();
            target.pause();
          }
        },
        close: () => {
          for (const socket of sockets) socket.destroy();
          return new Promise((closed) => server.close(() => closed()));
        },
      });
    });
  });
}
