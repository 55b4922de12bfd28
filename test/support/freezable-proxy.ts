import { createConnection, createServer, Socket } from 'node:net';

/** A TCP proxy on loopback whose connections can be made to go silent (see {@link startFreezableProxy}). */
export interface FreezableProxy {
  /** The target's URL with the proxy's port: connecting to it goes through the proxy. */
  url: string;
  /**
   * Silences every connection open now, both ways, without closing it: as when the host at the
   * other end vanishes, or a failover leaves the old connections half-open. Later connections
   * pass.
   */
  freeze(): void;
  close(): Promise<void>;
}

/** Starts a proxy on loopback in front of the server at `targetUrl` (a loopback one). */
export function startFreezableProxy(targetUrl: string): Promise<FreezableProxy> {
  const target = new URL(targetUrl);
  const open: Array<[Socket, Socket]> = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: Number(target.port) });
    client.pipe(upstream).pipe(client);
    open.push([client, upstream]);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const url = new URL(targetUrl);
      url.port = String((server.address() as { port: number }).port);
      resolve({
        url: url.toString(),
        freeze: () => {
          for (const [client, upstream] of open.splice(0)) {
            client.unpipe(upstream);
            upstream.unpipe(client);
            client.pause();
            upstream.pause();
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
