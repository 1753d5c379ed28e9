import { once } from 'node:events';
import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, TokenVerifier } from '@prasar/auth';
import { createLogger } from '@prasar/telemetry';
import { csvLine, jsonRecord, RECORD_COLUMNS, RecordsService } from './records.service';

export const RECORDS_VERIFIER = Symbol('RECORDS_VERIFIER');

const STATUS: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
};

/**
 * Records export for Right to Information requests and audits:
 * `GET /exports/records?department=<id>&from=<ISO>&to=<ISO>&format=csv|json`, bearer token required.
 */
@Controller('exports')
export class RecordsController {
  private readonly logger = createLogger('records-export');

  constructor(
    private readonly records: RecordsService,
    @Inject(RECORDS_VERIFIER) private readonly verifier: TokenVerifier,
  ) {}

  @Get('records')
  async export(
    @Req() req: Request,
    @Res() res: Response,
    @Query('department') department?: string,
    @Query('from') from?: string,
    @Query('to') to?: string,
    @Query('format') format?: string,
  ): Promise<void> {
    const fmt = (format ?? 'csv').toLowerCase();
    let rows: AsyncGenerator<Record<string, unknown>>;
    try {
      const caller = await this.verifier.verifyAuthorization(req.headers.authorization);
      if (fmt !== 'csv' && fmt !== 'json') {
        res.status(400).json({ code: 'BAD_USER_INPUT', message: 'format must be csv or json' });
        return;
      }
      const request = {
        departmentId: department ?? '',
        from: new Date(from ?? 'invalid'),
        to: new Date(to ?? 'invalid'),
      };
      this.records.authorize(caller, request);
      rows = this.records.records(caller, request);
    } catch (err) {
      if (err instanceof DomainError) {
        res.status(STATUS[err.code] ?? 400).json({ code: err.code, message: err.message });
        return;
      }
      throw err;
    }
    const name = `records-${department}-${from}-${to}`.replace(/[^\w.-]+/g, '_');
    res.status(200);
    res.setHeader(
      'Content-Type',
      fmt === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
    );
    res.setHeader('Content-Disposition', `attachment; filename="${name}.${fmt}"`);
    res.setHeader('Cache-Control', 'no-store');
    const write = async (chunk: string) => {
      if (!res.write(chunk)) await once(res, 'drain');
    };
    try {
      if (fmt === 'csv') await write(csvLine([...RECORD_COLUMNS]));
      else await write('[');
      let first = true;
      for await (const row of rows) {
        if (res.destroyed) break;
        if (fmt === 'csv') await write(csvLine(RECORD_COLUMNS.map((c) => row[c])));
        else {
          await write(`${first ? '' : ','}\n${JSON.stringify(jsonRecord(row as never))}`);
          first = false;
        }
      }
      if (fmt === 'json') await write('\n]\n');
      res.end();
    } catch (err) {
      // Headers are gone: the only honest signal left is a broken response.
      this.logger.error({ err }, 'records export failed mid-stream');
      res.destroy(err as Error);
    }
  }
}
