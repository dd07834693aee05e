/**
 * Docker HEALTHCHECK without curl: exits 0 when GET /health answers 200 within 4 s, 1 otherwise.
 */
import { request } from 'node:http';

const port = Number(process.env.PORTAL_PORT || 8080);
const req = request({ host: '127.0.0.1', port, path: '/health', timeout: 4000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', () => process.exit(1));
req.end();
