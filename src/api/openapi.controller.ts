import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findRepoRoot } from '../models/model-sources';
import { Access } from '../security/access';
import { openApiDocument } from './openapi-document';

const ROOT = findRepoRoot(__dirname);
const PAGE_DIR = join(ROOT, 'src', 'api', 'docs-page');
const SWAGGER_UI = dirname(require.resolve('swagger-ui-dist/package.json'));
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** The docs page's files: Swagger UI's, from node_modules (so the page works offline), and ours. */
const ASSETS = new Map([
  ['swagger-ui-bundle.js', { type: 'text/javascript', path: join(SWAGGER_UI, 'swagger-ui-bundle.js') }],
  ['swagger-ui.css', { type: 'text/css', path: join(SWAGGER_UI, 'swagger-ui.css') }],
  ['docs.js', { type: 'text/javascript', path: join(PAGE_DIR, 'docs.js') }],
]);

/** The OpenAPI document and its docs page. Neither holds data: anyone may read them. */
@Access('public')
@Controller('api')
export class OpenApiController {
  private readonly document = openApiDocument(version);

  @Get('openapi.json')
  openApi(): Record<string, unknown> {
    return this.document;
  }

  @Get('docs')
  page(@Res() res: Response): void {
    res.sendFile(join(PAGE_DIR, 'index.html'));
  }

  @Get('docs/:asset')
  asset(@Param('asset') name: string, @Res() res: Response): void {
    const asset = ASSETS.get(name);
    if (!asset) throw new NotFoundException(`No docs page asset ${name}`);
    res.type(asset.type).sendFile(asset.path, { maxAge: '1h' });
  }
}
