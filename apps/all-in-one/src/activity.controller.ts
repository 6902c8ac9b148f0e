/**
 * `GET /status` of the all-in-one process: the numbers of the activity line as JSON, for a
 * script or a test that wants to know how far the demo has come without reading the terminal.
 */
import { Controller, Get } from '@nestjs/common';
import { ActivitySummary, type Activity } from './activity-summary';

@Controller('status')
export class ActivityController {
  constructor(private readonly summary: ActivitySummary) {}

  @Get()
  status(): Promise<Activity> {
    return this.summary.gather();
  }
}
