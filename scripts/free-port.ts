/** One free TCP port on 127.0.0.1, for a server that must be told its port (scripts and tests). */

import { once } from 'node:events';
import { createServer } from 'node:net';

/**
 * A port the system just handed out for listen(0), closed again. Another process may take it
 * before the caller listens; the servers the tests start this way fail loudly if it does.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port from listen(0)');
  return address.port;
}
