import type { Server } from 'node:http';
import type { Express } from 'express';

/**
 * Starts an express app on a port.
 *
 * @param app - the app
 * @param port - the port; 0 picks a free one
 * @returns once listening
 * @throws the listen error, such as EADDRINUSE
 */
export function startHttpServer(app: Express, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

/**
 * Stops accepting connections and waits for the requests in flight.
 *
 * @param server - a listening server
 * @returns once closed
 */
export function closeHttpServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // Probes, scrapers and keep-alive clients hold idle connections that would
    // keep close() waiting; requests in flight still finish.
    server.closeIdleConnections();
  });
}
