import pino from 'pino';
import { PeriodicTask } from './periodic';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PeriodicTask', () => {
  it('runs rounds one after another, goes on after a failed round, and stop waits for the round in progress', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
    let rounds = 0;
    let concurrent = 0;
    let most = 0;
    let finished = 0;
    const task = new PeriodicTask(
      'test',
      5,
      async () => {
        rounds++;
        concurrent++;
        most = Math.max(most, concurrent);
        await sleep(10);
        concurrent--;
        finished++;
        if (rounds === 2) throw new Error('round two fails');
      },
      logger,
    );
    task.start({ immediate: true });
    task.start();
    while (rounds < 4) await sleep(5);
    await task.stop();
    const after = rounds;
    expect(finished).toBe(rounds);
    await sleep(30);
    expect(rounds).toBe(after);
    expect(most).toBe(1);
    expect(lines.join('')).toContain('test round failed');
  });
});
