/**
 * Whether the database answers, for the services' readiness and health endpoints: a failed
 * probe makes a service report itself not ready rather than take work it cannot record.
 */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

@Injectable()
export class StoreHealth {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async isReachable(): Promise<boolean> {
    try {
      // Raw SQL: a reachability probe touches no table.
      await this.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }
}
