import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { join } from 'node:path';
import { findRepoRoot } from '../models/model-sources';
import { Access } from '../security/access';

const PUBLIC_DIR = join(findRepoRoot(__dirname), 'src', 'web', 'public');

/** The upload page and its assets, from `src/web/public`. */
@Access('public')
@Controller()
export class PageController {
  @Get()
  page(@Res() res: Response): void {
    res.sendFile(join(PUBLIC_DIR, 'index.html'));
  }

  @Get('app.js')
  script(@Res() res: Response): void {
    res.type('text/javascript').sendFile(join(PUBLIC_DIR, 'app.js'));
  }

  @Get('api-key.js')
  keyScript(@Res() res: Response): void {
    res.type('text/javascript').sendFile(join(PUBLIC_DIR, 'api-key.js'));
  }

  @Get('app.css')
  style(@Res() res: Response): void {
    res.type('text/css').sendFile(join(PUBLIC_DIR, 'app.css'));
  }
}
