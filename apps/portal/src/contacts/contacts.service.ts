import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { sha256Hex } from '../common/secrets';
import { Contact } from './entities/contact.entity';

@Injectable()
export class ContactsService {
  constructor(@InjectRepository(Contact) private readonly contacts: Repository<Contact>) {}

  /** The contact a shared key belongs to, while that key is still in force (pending or active). */
  async findByKey(key: string): Promise<Contact | null> {
    return this.contacts.findOne({ where: { keyHash: sha256Hex(key), status: In(['pending', 'active']) } });
  }
}
