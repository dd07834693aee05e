import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventsModule } from '../events/events.module';
import { FilesModule } from '../files/files.module';
import { OwnerChatMessage } from './entities/owner-chat-message.entity';
import { OwnerChatController } from './owner-chat.controller';
import { OwnerChatService } from './owner-chat.service';

@Module({
  imports: [TypeOrmModule.forFeature([OwnerChatMessage]), EventsModule, FilesModule],
  controllers: [OwnerChatController],
  providers: [OwnerChatService],
})
export class OwnerChatModule {}
