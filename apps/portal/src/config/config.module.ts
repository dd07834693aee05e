import { type DynamicModule, Global, Module } from '@nestjs/common';
import { PORTAL_CONFIG, type PortalConfig } from './portal-config';

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: PortalConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: PORTAL_CONFIG, useValue: config }], exports: [PORTAL_CONFIG] };
  }
}
