import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../engine/ports/logger.js';
import type { OpsRoutes } from './routes.js';

/**
 * /metrics, /healthz and /readyz on a port of their own (`metrics.port`): in Socket Mode and in
 * the shell, where no Slack HTTP server listens. Nothing else is served.
 */
export const startOpsServer = async (options: {
  routes: OpsRoutes;
  port: number;
  host: string;
  logger: Logger;
}): Promise<{ port: number; close(): Promise<void> }> => {
  const server: Server = createServer({ headersTimeout: 5_000, requestTimeout: 10_000 }, (req, res) => {
    if (options.routes.handle(req, res)) return;
    res.writeHead(404, { 'content-length': '0', connection: 'close' });
    res.end();
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => options.logger.error({ err: error }, 'metrics server error'));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};
