import { ConfigError, loadConfig, type PortalConfig } from './config/portal-config';
import type { FirstStartResult } from './auth/first-start.service';
import { createLogger } from './common/logger';
import { createPortalApp, initPortalApp } from './configure-app';

async function main(): Promise<void> {
  let config: PortalConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee docker/example.env for every variable and its meaning.\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const portal = await createPortalApp({ config, logger });
  const firstStart = await initPortalApp(portal);
  // Shown as soon as they are stored, before listening: if listening fails (port taken), a later
  // start would not show them again and the owner would be locked out.
  if (firstStart) printFirstStart(firstStart, config);
  await portal.app.listen({ port: config.port, host: config.host });
  logger.info({ url: config.publicUrl, listen: `${config.host}:${config.port}` }, 'Portal listening');
}

/** Printed once, on the first start, straight to stdout (never through the logger, which redacts keys). */
function printFirstStart(result: FirstStartResult, config: PortalConfig): void {
  const lines = ['', '=== Agent P2P Portal: first start ===', `Portal URL:       ${config.publicUrl}`];
  lines.push(result.ownerKey ? `Owner key:        ${result.ownerKey}` : 'Owner key:        taken from PORTAL_OWNER_KEY');
  lines.push(
    result.consolePassword ? `Console password: ${result.consolePassword}` : 'Console password: taken from PORTAL_CONSOLE_PASSWORD',
  );
  if (result.ownerKey || result.consolePassword) lines.push('These are shown only now: store them somewhere safe.');
  lines.push(`Console:          ${config.publicUrl}/console/  (log in with the console password)`);
  lines.push(`API docs:         ${config.publicUrl}/docs`, '', '');
  process.stdout.write(lines.join('\n'));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`Portal failed to start: ${message}\n`);
  process.exit(1);
});
