import { Injectable } from '@nestjs/common';

/** The time as the Portal's policies read it; tests replace `now` to move it (quiet hours, budgets). */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
