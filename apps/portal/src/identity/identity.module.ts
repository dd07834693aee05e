import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CallVerifier } from './call-verifier.service';
import { IdentityKey } from './entities/identity-key.entity';
import { SignatureNonce } from './entities/signature-nonce.entity';
import { IdentityService } from './identity.service';
import { NonceStore } from './nonce-store.service';

/** This Portal's signing identity, and the checks of signed calls from others (keys of peers are pinned by contacts). */
@Module({
  imports: [TypeOrmModule.forFeature([IdentityKey, SignatureNonce])],
  providers: [IdentityService, NonceStore, CallVerifier],
  exports: [IdentityService, CallVerifier],
})
export class IdentityModule {}
