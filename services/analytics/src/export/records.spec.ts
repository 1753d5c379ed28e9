import { csvField, csvLine } from './records.service';

describe('CSV fields of the records export', () => {
  it('neutralises texts a spreadsheet would run as a formula', () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r'])
      expect(csvField(`${start}HYPERLINK("http://x")`).replace(/^"/, '')).toMatch(/^'/);
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\r=1+1')).toBe('"\'\r=1+1"');
  });

  it('leaves other texts, numbers and times as they are, quoting per RFC 4180', () => {
    expect(csvField('Ladli Behna')).toBe('Ladli Behna');
    expect(csvField('a, "b"')).toBe('"a, ""b"""');
    expect(csvField(-3)).toBe('-3');
    expect(csvField(new Date('2026-12-03T00:00:00Z'))).toBe('2026-12-03T00:00:00.000Z');
    expect(csvField(null)).toBe('');
    expect(csvLine(['=x', 1])).toBe("'=x,1\r\n");
  });
});
