import { type DynamicModule, Global, Module } from '@nestjs/common';
import { SECRET_BOX, SecretBox } from '../common/secret-box';
import { PORTAL_CONFIG, type PortalConfig } from './portal-config';

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: PortalConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: PORTAL_CONFIG, useValue: config },
        { provide: SECRET_BOX, useFactory: () => SecretBox.fromConfig(config) },
      ],
      exports: [PORTAL_CONFIG, SECRET_BOX],
    };
  }
}
