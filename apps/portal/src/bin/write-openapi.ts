import { writeFileSync } from 'node:fs';
import { createLogger } from '../common/logger';
import { loadConfig } from '../config/portal-config';
import { createPortalApp, renderOpenApiYaml as toYaml } from '../configure-app';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Renders the OpenAPI document as the committed openapi.yaml text. */
export async function renderOpenApiYaml(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ap2p-openapi-'));
  try {
    const config = loadConfig({ PORTAL_DATA_DIR: dataDir, PORTAL_PUBLIC_URL: 'https://portal.example.com' });
    const { app, document } = await createPortalApp({ config, logger: createLogger('silent'), preview: true });
    await app.close();
    return toYaml(document);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (typeof require !== 'undefined' && require.main === module) {
  const target = process.argv[2] ?? 'openapi.yaml';
  renderOpenApiYaml()
    .then((text) => {
      writeFileSync(target, text);
      process.stdout.write(`wrote ${target}\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(`could not write the OpenAPI document: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    });
}
