import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Registry } from 'prom-client';
import { Access } from '../security/access';

/** `GET /metrics`: the app's registry in Prometheus' text exposition format (version 0.0.4). */
@Access('admin')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: Registry) {}

  @Get()
  async scrape(@Res() res: Response): Promise<void> {
    const body = await this.registry.metrics();
    // A Buffer, so that Express sends the registry's content type as is instead of re-formatting it.
    res.status(200).setHeader('Content-Type', this.registry.contentType);
    res.send(Buffer.from(body, 'utf8'));
  }
}
