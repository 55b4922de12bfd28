import { Controller, Get, MessageEvent, NotFoundException, Param, Query, Res, Sse } from '@nestjs/common';
import type { Response } from 'express';
import { join } from 'node:path';
import { map, Observable } from 'rxjs';
import { z } from 'zod';
import { findRepoRoot } from '../models/model-sources';
import { parseRequest } from '../common/invalid-request.error';
import { DebugService } from './debug.service';
import { Access } from '../security/access';

const PAGE_DIR = join(findRepoRoot(__dirname), 'src', 'web', 'public', 'debug');
// From node_modules, never a CDN: the page must work with no network.
const MERMAID_SCRIPT = require.resolve('mermaid/dist/mermaid.min.js');

/** The page's own files, by the name the page asks for. */
const PAGE_ASSETS = new Map([
  ['debug.css', 'text/css'],
  ['debug.js', 'text/javascript'],
  ['debug-fleet.js', 'text/javascript'],
  ['debug-inspector.js', 'text/javascript'],
]);

export const inspectQuery = z.object({ k: z.coerce.number().int().optional() });
export const actorsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(25) });

/** The state-machine visualizer: the `/debug` page, its assets and the JSON and SSE it reads. */
@Access('admin')
@Controller('debug')
export class DebugController {
  constructor(private readonly debug: DebugService) {}

  // The page and its assets hold no data: anyone may load them; what they fetch needs the admin key.
  @Access('public')
  @Get()
  page(@Res() res: Response): void {
    res.sendFile(join(PAGE_DIR, 'index.html'));
  }

  @Access('public')
  @Get('assets/mermaid.min.js')
  mermaid(@Res() res: Response): void {
    res.type('text/javascript').sendFile(MERMAID_SCRIPT, { maxAge: '1h' });
  }

  /** Each machine's statechart (mermaid text generated from its definition) with live counts. */
  @Get('api/statecharts')
  statecharts() {
    return { statecharts: this.debug.statecharts() };
  }

  /** Server-sent events named `statecharts`: the charts with counts now, then after each change. */
  @Sse('api/stream')
  stream(): Observable<MessageEvent> {
    return this.debug.statecharts$().pipe(map((statecharts) => ({ type: 'statecharts', data: statecharts })));
  }

  /** Workers (live, and the latest ended) with state, current job and uptime. */
  @Get('api/fleet')
  fleet() {
    return this.debug.fleet();
  }

  /** Backlog and fleet size over time, derived from the log's events. */
  @Get('api/series')
  series() {
    return this.debug.series();
  }

  /** The newest actors of each kind (`?limit=25`), to pick one to inspect. */
  @Get('api/actors')
  actors(@Query() query: unknown) {
    return this.debug.recentActors(parseRequest(actorsQuery, query).limit);
  }

  /** The stream `ref` (stream id or bare job/worker id) replayed to event `?k=` (default: the last). */
  @Get('api/streams/:ref')
  inspect(@Param('ref') ref: string, @Query() query: unknown) {
    return this.debug.inspect(ref, parseRequest(inspectQuery, query).k);
  }

  @Access('public')
  @Get(':asset')
  asset(@Param('asset') asset: string, @Res() res: Response): void {
    const type = PAGE_ASSETS.get(asset);
    if (!type) throw new NotFoundException(`No debug page asset ${asset}`);
    res.type(type).sendFile(join(PAGE_DIR, asset));
  }
}
