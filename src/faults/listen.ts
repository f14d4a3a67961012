/**
 * Every fault proxy listens the same way: on 127.0.0.1 only (a proxy is the kit's own
 * instrument, never a service), on the port asked for or a free one.
 */

import type { Server } from 'node:net';

/** Starts `server` listening on 127.0.0.1:`port` (0: any free port) and resolves with the port. */
export function listenLoopback(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}
